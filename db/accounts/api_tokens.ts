/** API tokens for JSON callers: stored only as SHA-256 hashes, shown to their owner once. */
import { createHash, randomBytes } from "node:crypto";
import { compiledOnce } from "./compiled.ts";
import type { AccountsDb } from "./database.ts";
import { toUser, type User, USER_COLUMNS } from "./users.ts";

export interface ApiToken {
  id: number;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  /** The number of the one registry the token acts in; null when it acts in all of its user's. */
  registry_scope: number | null;
}

/** A token just made: the only time its secret exists outside the caller's hands. */
export interface NewApiToken extends ApiToken {
  token: string;
}

/** How often `last_used_at` is written while a token is in use (ms). */
const TOUCH_EVERY_MS = 60_000;
const PREFIX = "spm_";

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function toToken(
  row: {
    id: number;
    name: string;
    created_at: number;
    last_used_at: number | null;
    registry_id: number | null;
  },
): ApiToken {
  return {
    id: Number(row.id),
    name: row.name,
    created_at: new Date(Number(row.created_at)),
    last_used_at: row.last_used_at === null ? null : new Date(Number(row.last_used_at)),
    registry_scope: row.registry_id === null ? null : Number(row.registry_id),
  };
}

/**
 * Makes a new token for the user: 256 random bits, prefixed so that it is recognisable in a
 * leak. With `registryScope` (a registry's number) it acts in that registry only.
 */
export function createApiToken(
  accounts: AccountsDb,
  userId: number,
  name: string,
  registryScope: number | null = null,
): Promise<NewApiToken> {
  const token = PREFIX + randomBytes(32).toString("base64url");
  const tokenHash = sha256Hex(token);
  const now = Date.now();
  return accounts.run(async (db) => {
    const result = await db.insertInto("api_tokens")
      .values({
        user_id: userId,
        name,
        token_hash: tokenHash,
        created_at: now,
        last_used_at: null,
        registry_id: registryScope,
      })
      .executeTakeFirstOrThrow();
    const id = Number(result.insertId);
    return {
      id,
      name,
      token,
      created_at: new Date(now),
      last_used_at: null,
      registry_scope: registryScope,
    };
  });
}

/** The user's tokens, newest first (never their secrets). */
export function listApiTokens(accounts: AccountsDb, userId: number): Promise<ApiToken[]> {
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("api_tokens")
      .select(["id", "name", "created_at", "last_used_at", "registry_id"])
      .where("user_id", "=", userId).orderBy("created_at", "desc").orderBy("id", "desc").execute();
    return rows.map(toToken);
  });
}

/** Revokes one of the user's tokens; false when the user has no token with this id. */
export function revokeApiToken(accounts: AccountsDb, userId: number, id: number): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.deleteFrom("api_tokens").where("id", "=", id)
      .where("user_id", "=", userId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

/** Revokes all of a user's tokens (account deletion). */
export function revokeAllApiTokens(accounts: AccountsDb, userId: number): Promise<void> {
  return accounts.run(async (db) => {
    await db.deleteFrom("api_tokens").where("user_id", "=", userId).execute();
  });
}

/** The token lookup with its user, compiled once per database (it runs on every API call). */
type LookupRow = {
  token_id: number;
  last_used_at: number | null;
  registry_id: number | null;
  id: number;
  name: string | null;
  email: string | null;
  password: string | null;
  is_admin: number;
  locked_at: number | null;
  time_zone: string | null;
};

const lookupQuery = compiledOnce<LookupRow>((db, tokenHash) =>
  db.selectFrom("api_tokens")
    .innerJoin("login_data", "login_data.id", "api_tokens.user_id")
    .select(["api_tokens.id as token_id", "api_tokens.last_used_at", "api_tokens.registry_id"])
    .select(USER_COLUMNS)
    .where("api_tokens.token_hash", "=", tokenHash)
);

/** Who a token stands for: its user, and the registry it is bound to (its number), if any. */
export interface TokenHolder {
  user: User;
  registryScope: number | null;
}

/** The owner of a token, or null for an unknown one or a locked account's; notes when it was last used. */
export async function userForToken(accounts: AccountsDb, token: string): Promise<User | null> {
  return (await tokenHolder(accounts, token))?.user ?? null;
}

/**
 * The owner of a token and the registry it is bound to, or null for an unknown token or a
 * locked account's; notes when it was last used.
 */
export function tokenHolder(accounts: AccountsDb, token: string): Promise<TokenHolder | null> {
  if (!token.startsWith(PREFIX) || token.length > 100) return Promise.resolve(null);
  const tokenHash = sha256Hex(token);
  return accounts.run(async (db) => {
    const { rows } = await db.executeQuery(lookupQuery(db, tokenHash));
    const row = rows[0];
    if (!row || row.locked_at !== null) return null;
    const now = Date.now();
    if (row.last_used_at === null || now - Number(row.last_used_at) > TOUCH_EVERY_MS) {
      await db.updateTable("api_tokens").set({ last_used_at: now })
        .where("id", "=", row.token_id).execute();
    }
    return {
      user: toUser(row),
      registryScope: row.registry_id === null ? null : Number(row.registry_id),
    };
  });
}
