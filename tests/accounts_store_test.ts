/** The accounts contract: every backend of `login_data` behaves the same, and MySQL keeps the seed's table. */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { createConnection } from "mysql2/promise";
import { type AccountsDb, openAccountsDb } from "../db/accounts/database.ts";
import { accountsMigrations } from "../db/migrations/accounts/index.ts";
import { EmailTakenError } from "../lib/errors.ts";
import {
  createUser,
  deleteUser,
  findUserByEmail,
  findUserById,
  updateUserName,
  updateUserPasswordHash,
} from "../db/accounts/users.ts";
import { accountBackends, dropMysqlDatabase, mysqlServer, uniqueName } from "./helpers/backends.ts";

const HASH = "$2b$12$abcdefghijklmnopqrstuuJ6d1fY5rU0m2vZb5wO7m1a0c6b7e8f9a";
const MISSING_ID = 2_000_000_000;

/** A new account with a bcrypt-shaped hash. */
const newUser = (name: string, email: string) => ({ name, email, passwordHash: HASH });

type Backend = ReturnType<typeof accountBackends>[number];

/** Runs `body` on a fresh database of `backend`, and drops it afterwards. */
async function withAccounts(
  backend: Backend,
  body: (accounts: AccountsDb) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  try {
    await body(opened.value);
  } finally {
    await cleanUp(opened);
  }
}

/** The backend's own cleanup; if that fails, the MySQL database is still dropped (then it throws). */
async function cleanUp(opened: Awaited<ReturnType<Backend["open"]>>): Promise<void> {
  try {
    await opened.cleanup();
  } catch (error) {
    // Never leave a test database behind on the shared server.
    const database = /^MySQL at .*\/(spm_test_\w+)$/.exec(opened.value.description)?.[1];
    if (database) await dropMysqlDatabase(server!, database);
    throw error;
  }
}

for (const backend of accountBackends()) {
  const test = (name: string, body: (accounts: AccountsDb) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccounts(backend, body));

  test("createUser() stores a trimmed, lower-cased email", async (accounts) => {
    const user = await createUser(accounts, newUser("Ada", "  Ada.Lovelace@Example.COM "));
    assert.deepEqual(user.email, "ada.lovelace@example.com");
    assert.ok(Number.isInteger(user.id) && user.id > 0);
    const stored = await findUserById(accounts, user.id);
    assert.deepEqual(stored, {
      id: user.id,
      name: "Ada",
      email: "ada.lovelace@example.com",
      passwordHash: HASH,
    });
  });

  test("createUser() gives each account its own id", async (accounts) => {
    const a = await createUser(accounts, newUser("A", "a@example.com"));
    const b = await createUser(accounts, newUser("B", "b@example.com"));
    assert.notDeepEqual(a.id, b.id);
    assert.deepEqual((await findUserById(accounts, b.id))?.name, "B");
  });

  test("findUserByEmail() finds an account in any capitalisation", async (accounts) => {
    const user = await createUser(accounts, newUser("Grace", "grace@example.com"));
    for (const email of ["grace@example.com", "GRACE@Example.Com", "  Grace@example.com  "]) {
      assert.deepEqual((await findUserByEmail(accounts, email))?.id, user.id, email);
    }
  });

  test("findUserByEmail() answers null for an unknown email", async (accounts) => {
    await createUser(accounts, newUser("G", "grace@example.com"));
    assert.deepEqual(await findUserByEmail(accounts, "nobody@example.com"), null);
  });

  test("findUserById() answers null for a missing id", async (accounts) => {
    assert.deepEqual(await findUserById(accounts, MISSING_ID), null);
  });

  test("createUser() refuses an email taken in another capitalisation", async (accounts) => {
    await createUser(accounts, newUser("One", "same@example.com"));
    await assert.rejects(
      createUser(accounts, newUser("Two", " SAME@Example.com")),
      EmailTakenError,
    );
    const found = await findUserByEmail(accounts, "same@example.com");
    assert.deepEqual(found?.name, "One");
  });

  test("updateUserName() changes the name and answers false for a missing id", async (accounts) => {
    const user = await createUser(accounts, newUser("Old", "n@example.com"));
    assert.deepEqual(await updateUserName(accounts, user.id, "New"), true);
    assert.deepEqual((await findUserById(accounts, user.id))?.name, "New");
    // MySQL reports 0 changed rows for an unchanged value: still an existing account.
    assert.deepEqual(await updateUserName(accounts, user.id, "New"), true);
    assert.deepEqual(await updateUserName(accounts, MISSING_ID, "X"), false);
  });

  test("updateUserPasswordHash() replaces the hash and answers false for a missing id", async (accounts) => {
    const user = await createUser(accounts, {
      name: "P",
      email: "p@example.com",
      passwordHash: "pbkdf2:sha256:600000$salt$abc",
    });
    assert.deepEqual(await updateUserPasswordHash(accounts, user.id, HASH), true);
    assert.deepEqual((await findUserById(accounts, user.id))?.passwordHash, HASH);
    assert.deepEqual(await updateUserPasswordHash(accounts, user.id, HASH), true);
    assert.deepEqual(await updateUserPasswordHash(accounts, MISSING_ID, HASH), false);
  });

  test("deleteUser() removes the account and answers false when it is gone", async (accounts) => {
    const user = await createUser(accounts, newUser("D", "d@example.com"));
    assert.deepEqual(await deleteUser(accounts, user.id), true);
    assert.deepEqual(await findUserById(accounts, user.id), null);
    assert.deepEqual(await findUserByEmail(accounts, "d@example.com"), null);
    assert.deepEqual(await deleteUser(accounts, user.id), false);
    // The email is free again.
    await createUser(accounts, newUser("D2", "D@example.com"));
  });
}

/** A database that can be opened several times: the same SQLite directory or MySQL database. */
interface Reopenable {
  open(): AccountsDb;
  drop(): Promise<void>;
}

const server = mysqlServer();
const REOPENABLE = server ? ["sqlite", "mysql"] : ["sqlite"];

function reopenable(name: string): Reopenable {
  if (name === "mysql" && server) {
    const database = uniqueName("spm_test");
    return {
      open: () => openAccountsDb({ ...server, database }, ""),
      drop: () => dropMysqlDatabase(server!, database),
    };
  }
  const dir = Deno.makeTempDirSync({ prefix: "spm-accounts-" });
  return {
    open: () => openAccountsDb(null, dir),
    drop: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Runs one statement as the test's own admin connection, in `database` when given. */
async function adminQuery(
  statement: string,
  values: unknown[] = [],
  database?: string,
): Promise<unknown> {
  const { host, port, user, password } = server!;
  const connection = await createConnection({
    host,
    port,
    user,
    password,
    ...(database === undefined ? {} : { database }),
  });
  try {
    const [rows] = await connection.query(statement, values);
    return rows;
  } finally {
    await connection.end();
  }
}

for (const name of REOPENABLE) {
  Deno.test(`[${name}] migrations are idempotent: the same database opens twice`, async () => {
    const target = reopenable(name);
    const first = target.open();
    let second: AccountsDb | null = null;
    try {
      const user = await createUser(first, newUser("M", "m@example.com"));
      second = target.open();
      await second.ping();
      assert.deepEqual((await findUserByEmail(second, "m@example.com"))?.id, user.id);
      const applied = await sql<{ name: string }>`select name from kysely_migration`
        .execute(await second.db());
      const names = Object.keys(accountsMigrations(first.dialect)).sort();
      assert.deepEqual(applied.rows.map((r) => r.name).sort(), names);
    } finally {
      await first.close();
      await second?.close();
      await target.drop();
    }
  });

  Deno.test(`[${name}] two instances starting at once both end up with a migrated database`, async () => {
    const target = reopenable(name);
    const a = target.open();
    const b = target.open();
    try {
      const first = await Promise.allSettled([a.ping(), b.ping()]);
      const failed = first.filter((r) => r.status === "rejected").length;
      // MySQL migrations take a lock. SQLite's do not: the later instance may fail its first
      // try (reported as a 503) and must succeed on the next call.
      assert.ok(failed <= (name === "sqlite" ? 1 : 0), JSON.stringify(first));
      await Promise.all([a.ping(), b.ping()]);
      await createUser(a, newUser("A", "a@example.com"));
      assert.deepEqual((await findUserByEmail(b, "A@example.com"))?.name, "A");
    } finally {
      await a.close();
      await b.close();
      await target.drop();
    }
  });

  Deno.test(`[${name}] accounts survive closing and reopening the database`, async () => {
    const target = reopenable(name);
    let accounts = target.open();
    try {
      const user = await createUser(accounts, newUser("Kept", "kept@example.com"));
      await accounts.close();
      accounts = target.open();
      assert.deepEqual(await findUserByEmail(accounts, "KEPT@example.com"), {
        id: user.id,
        name: "Kept",
        email: "kept@example.com",
        passwordHash: HASH,
      });
    } finally {
      await accounts.close();
      await target.drop();
    }
  });
}

Deno.test({
  name:
    "[mysql] the created login_data table has the seed's columns exactly, then only nullable or defaulted ones",
  ignore: !server,
  async fn() {
    const database = uniqueName("spm_test");
    const accounts = openAccountsDb({ ...server!, database }, "");
    try {
      await accounts.ping();
      const rows = await adminQuery(
        `SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE, COLUMN_KEY, EXTRA,
           COLUMN_DEFAULT
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'login_data'
         ORDER BY ORDINAL_POSITION`,
        [database],
      ) as Record<string, unknown>[];
      const columns = rows.map((row) => Object.values(row));
      assert.deepEqual(columns.slice(0, 4).map((column) => column.slice(0, 6)), [
        ["id", "int", null, "NO", "PRI", "auto_increment"],
        ["name", "varchar", 255, "YES", "", ""],
        ["email", "varchar", 255, "YES", "UNI", ""],
        ["password", "varchar", 255, "YES", "", ""],
      ]);
      for (const [name, , , nullable, , , fallback] of columns.slice(4)) {
        assert.ok(nullable === "YES" || fallback !== null, `${name} is nullable or defaulted`);
      }
    } finally {
      await accounts.close();
      await dropMysqlDatabase(server!, database);
    }
  },
});

Deno.test({
  name: "[mysql] an existing seed database keeps its rows and takes new ones",
  ignore: !server,
  async fn() {
    const database = uniqueName("spm_test");
    await adminQuery(`CREATE DATABASE \`${database}\``);
    let accounts: AccountsDb | null = null;
    try {
      await adminQuery(
        "CREATE TABLE login_data (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), " +
          "email VARCHAR(255) UNIQUE, password VARCHAR(255))",
        [],
        database,
      );
      await adminQuery(
        "INSERT INTO login_data (name, email, password) VALUES " +
          "('Old One', 'old@example.com', 'pbkdf2:sha256:600000$s$h'), ('Mixed', 'Mixed@Example.com', 'x')",
        [],
        database,
      );
      accounts = openAccountsDb({ ...server!, database }, "");
      const old = await findUserByEmail(accounts, "OLD@example.com");
      assert.deepEqual(old, {
        id: 1,
        name: "Old One",
        email: "old@example.com",
        passwordHash: "pbkdf2:sha256:600000$s$h",
      });
      assert.deepEqual((await findUserByEmail(accounts, "mixed@example.com"))?.id, 2);
      await assert.rejects(
        createUser(accounts, newUser("Dup", "Old@Example.com")),
        EmailTakenError,
      );
      const added = await createUser(accounts, newUser("New", "new@example.com"));
      assert.ok(added.id > 2, `id ${added.id}`);
      assert.deepEqual((await findUserById(accounts, added.id))?.email, "new@example.com");
    } finally {
      await accounts?.close();
      await dropMysqlDatabase(server!, database);
    }
  },
});

Deno.test({
  name: "[mysql] a database that does not exist yet is created",
  ignore: !server,
  async fn() {
    const database = uniqueName("spm_test");
    const exists = async () =>
      (await adminQuery(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        [database],
      ) as unknown[]).length === 1;
    assert.deepEqual(await exists(), false);
    const accounts = openAccountsDb({ ...server!, database }, "");
    try {
      await createUser(accounts, newUser("F", "f@example.com"));
      assert.deepEqual(await exists(), true);
    } finally {
      await accounts.close();
      await dropMysqlDatabase(server!, database);
    }
  },
});
