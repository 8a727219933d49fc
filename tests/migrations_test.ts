/**
 * The frozen migrations, run on an empty database, make the schema the app expects: the tables,
 * their columns with types and nullability, the indexes and the triggers written down in
 * `fixtures/migrated_schemas.ts`. A changed migration, or an app that expects another schema,
 * fails here; the answer is a new migration, never an edited one.
 */
import assert from "node:assert/strict";
import { type Kysely, sql } from "kysely";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { accountsMigrations } from "../db/migrations/accounts/index.ts";
import { patientMigrations } from "../db/migrations/patients/index.ts";
import { FILTER_INDEX_FIELDS } from "../db/patients/rows.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import {
  COPIED_COLUMNS,
  DROP_TALLY_TRIGGERS,
  fieldIndex,
  FILTER_INDEX,
  ROW_COLUMNS,
  tallyTriggers,
  VERSION_INSERT_TRIGGER,
  versionInsertTrigger,
} from "../db/patients/sqlite/schema.ts";
import { kyselyOver } from "../db/sqlite.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { accountBackends } from "./helpers/backends.ts";
import {
  ACCOUNTS_MYSQL,
  ACCOUNTS_SQLITE,
  type MigratedSchema,
  PATIENTS_SQLITE,
} from "./fixtures/migrated_schemas.ts";

// deno-lint-ignore no-explicit-any
type AnyDb = Kysely<any>;
type Row = Record<string, unknown>;

async function rows(db: AnyDb, query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await query.execute(db)).rows as Row[];
}

/** The first 16 hex digits of the SHA-256 of `text`. */
async function digest(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("")
    .slice(0, 16);
}

/** The schema of a SQLite database, Kysely's own migration tables left out. */
async function sqliteSchema(db: AnyDb): Promise<MigratedSchema> {
  const schema: Required<MigratedSchema> = { tables: {}, indexes: {}, triggers: {}, sql: {} };
  const objects = await rows(
    db,
    sql`SELECT type, name, tbl_name, sql FROM sqlite_schema
      WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE 'kysely_%' ORDER BY type, name`,
  );
  for (const { type, name, tbl_name: table, sql: text } of objects) {
    if (text !== null) schema.sql[`${type} ${name}`] = await digest(String(text));
    if (type === "trigger") schema.triggers[String(name)] = String(table);
    if (type !== "table") continue;
    const columns = await rows(db, sql`SELECT * FROM pragma_table_xinfo(${name}) ORDER BY cid`);
    const autoIncrement = /autoincrement/i.test(String(text));
    schema.tables[String(name)] = columns.map((c) =>
      [
        c.name,
        c.type,
        c.notnull ? "NOT NULL" : null,
        c.dflt_value === null ? null : `DEFAULT ${c.dflt_value}`,
        c.pk ? `PRIMARY KEY ${c.pk}` : null,
        c.pk && autoIncrement ? "AUTOINCREMENT" : null,
      ].filter((part) => part !== null).join(" ")
    );
    if (/\)\s*WITHOUT ROWID\s*$/i.test(String(text))) {
      schema.tables[String(name)]!.push("WITHOUT ROWID");
    }
    const indexes = await rows(db, sql`SELECT * FROM pragma_index_list(${name}) ORDER BY name`);
    for (const index of indexes) {
      const keys = await rows(
        db,
        sql`SELECT * FROM pragma_index_xinfo(${index.name}) WHERE key = 1 ORDER BY seqno`,
      );
      const described = keys.map((k) =>
        `${k.name}${k.coll === "BINARY" ? "" : ` COLLATE ${k.coll}`}${k.desc ? " DESC" : ""}`
      );
      schema.indexes[String(index.name)] = `${index.unique ? "UNIQUE " : ""}${name} (${
        described.join(", ")
      })${index.partial ? " WHERE …" : ""}`;
    }
  }
  return schema;
}

/**
 * The schema of the current MySQL/MariaDB database, Kysely's tables left out. Integer display
 * widths (MariaDB's `int(11)`) and an explicit `DEFAULT NULL` are left out: MySQL 8 shows neither.
 */
async function mysqlSchema(db: AnyDb): Promise<MigratedSchema> {
  const schema: MigratedSchema = { tables: {}, indexes: {}, triggers: {} };
  const columns = await rows(
    db,
    sql`SELECT TABLE_NAME AS t, COLUMN_NAME AS name, COLUMN_TYPE AS type,
      IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
      AND TABLE_NAME NOT LIKE 'kysely%' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  for (const c of columns) {
    (schema.tables[String(c.t)] ??= []).push(
      [
        c.name,
        String(c.type).replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, "$1"),
        c.nullable === "NO" ? "NOT NULL" : null,
        c.dflt === null || c.dflt === "NULL" ? null : `DEFAULT ${c.dflt}`,
        c.extra ? String(c.extra).toUpperCase() : null,
      ].filter((part) => part !== null).join(" "),
    );
  }
  const keys = await rows(
    db,
    sql`SELECT TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS c
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
      AND TABLE_NAME NOT LIKE 'kysely%' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  const indexes = new Map<string, { unique: boolean; table: string; columns: string[] }>();
  for (const k of keys) {
    const name = `${k.t}.${k.name}`;
    if (!indexes.has(name)) {
      indexes.set(name, { unique: Number(k.non_unique) === 0, table: String(k.t), columns: [] });
    }
    indexes.get(name)!.columns.push(String(k.c));
  }
  for (
    const [name, { unique, table, columns }] of [...indexes].sort(([a], [b]) => a < b ? -1 : 1)
  ) {
    schema.indexes[name] = `${unique ? "UNIQUE " : ""}${table} (${columns.join(", ")})`;
  }
  return schema;
}

/** The names Kysely recorded, in the order the migrations ran. */
async function recordedMigrations(db: AnyDb): Promise<string[]> {
  const recorded = await rows(db, sql`SELECT name FROM kysely_migration ORDER BY timestamp, name`);
  return recorded.map((r) => String(r.name));
}

for (const backend of accountBackends()) {
  Deno.test(`[${backend.name}] the accounts migrations make the schema the app expects`, async () => {
    const opened = await backend.open();
    try {
      await opened.value.ping(); // migrates the empty database
      const db = await opened.value.db() as AnyDb;
      const migrations = Object.keys(accountsMigrations(opened.value.dialect));
      assert.deepEqual(await recordedMigrations(db), migrations);
      assert.deepEqual(migrations, [...migrations].sort(), "the names sort in the order they run");
      if (opened.value.dialect === "sqlite") {
        assert.deepEqual(await sqliteSchema(db), ACCOUNTS_SQLITE);
      } else {
        assert.deepEqual(await mysqlSchema(db), ACCOUNTS_MYSQL);
      }
    } finally {
      await opened.cleanup();
    }
  });
}

/** Runs `body` on the file of an embedded patient store that has migrated an empty database. */
async function withMigratedPatients(body: (db: AnyDb) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "spm-migrations-" });
  const store = openSqlitePatientStore(dir);
  const database = new DatabaseSync(join(dir, "patients.db"), { readOnly: true });
  try {
    await store.ping(); // migrates the empty database
    await body(kyselyOver(database));
  } finally {
    database.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the patient migrations make the schema the embedded store expects", async () => {
  await withMigratedPatients(async (db) => {
    const memory = new DatabaseSync(":memory:");
    const migrations = Object.keys(patientMigrations(memory));
    memory.close();
    assert.deepEqual(await recordedMigrations(db), migrations);
    assert.deepEqual(migrations, [...migrations].sort(), "the names sort in the order they run");
    assert.deepEqual(await sqliteSchema(db), PATIENTS_SQLITE);
  });
});

Deno.test("the patient schema has every column, index and trigger the store's code names", async () => {
  await withMigratedPatients(async (db) => {
    const { tables, indexes } = await sqliteSchema(db);
    const columnsOf = (table: string) =>
      tables[table]!.filter((c) => c !== "WITHOUT ROWID").map((c) => c.split(" ")[0]);
    assert.deepEqual(columnsOf("patients"), [...ROW_COLUMNS]);
    assert.deepEqual(columnsOf("deleted_patients"), [
      ...COPIED_COLUMNS,
      "revision",
      "from_revision",
      "deleted_at",
      "deleted_by",
    ]);
    // Lists walk one index per sorted field and count through the filter index alone.
    for (const field of PATIENT_FIELDS) {
      assert.equal(
        indexes[fieldIndex(field)],
        field === "id" ? "UNIQUE patients (user_id, id)" : `patients (user_id, ${field}, id)`,
      );
    }
    assert.equal(
      indexes[FILTER_INDEX],
      `patients (${["user_id", ...FILTER_INDEX_FIELDS].join(", ")})`,
    );
    // A bulk insert drops the tally triggers and makes them again from the store's code: it must
    // make the very triggers the migrations made.
    const triggers = await rows(
      db,
      sql`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'patients_tally_%'`,
    );
    const stored = new Map(triggers.map((t) => [String(t.name), String(t.sql)]));
    const made = tallyTriggers().map((text) =>
      text.replace("CREATE TRIGGER IF NOT EXISTS", "CREATE TRIGGER")
    );
    assert.deepEqual(
      DROP_TALLY_TRIGGERS.map((drop) => stored.get(drop.replace("DROP TRIGGER IF EXISTS ", ""))),
      made,
      "the store makes other tally triggers than the migrations: a change to them needs a migration",
    );
    // It drops the data version's insert trigger too, and makes it again.
    const [version] = await rows(
      db,
      sql`SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ${VERSION_INSERT_TRIGGER}`,
    );
    assert.equal(
      String(version?.sql),
      versionInsertTrigger().replace("CREATE TRIGGER IF NOT EXISTS", "CREATE TRIGGER"),
      "the store makes another version trigger than migration 006: a change needs a migration",
    );
  });
});
