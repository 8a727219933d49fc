/**
 * The accounts database's tables, as Kysely types. The migrations that create them are frozen in
 * `db/migrations/accounts/`.
 */
import type { Generated } from "kysely";
import type { RegistryTables } from "./registries_schema.ts";

/** The original app's table, column for column, plus nullable or defaulted columns of ours. */
export interface LoginDataTable {
  id: Generated<number>;
  name: string | null;
  email: string | null;
  password: string | null;
  /** 1 for an admin (`deno task admin grant`), else 0. */
  is_admin: Generated<number>;
  /** When an admin locked the account (epoch ms), or null. */
  locked_at: number | null;
  /** When the account was registered (epoch ms); null for accounts from before this column. */
  created_at: number | null;
  /** The last successful login or token request (epoch ms), or null. */
  last_login_at: number | null;
  /** The IANA zone the user reads and enters admissions' times in; null: `APP_TIMEZONE`. */
  time_zone: string | null;
}

/** Server-side sessions (hono-sessions' store); times are epoch milliseconds. */
export interface SessionsTable {
  id: string;
  user_id: number | null;
  data: string;
  created_at: number;
  last_seen_at: number;
}

/** API tokens, stored only as SHA-256 hashes. */
export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  /**
   * The number of the one registry the token acts in (the user's id for their personal
   * registry, −`registries.id` for a team's); null for a token of every registry of its user.
   */
  registry_id: number | null;
}

/** One row per failed login or token request, per throttling key (account or client). */
export interface LoginFailuresTable {
  id: Generated<number>;
  throttle_key: string;
  failed_at: number;
}

/** A CSV upload between its preview and its import, and the import's progress and result. */
export interface ImportsTable {
  id: string;
  user_id: number;
  file_name: string;
  bytes: number;
  on_conflict: string;
  /** `previewed`, `running`, `done` or `failed`. */
  status: string;
  rows_total: number;
  rows_done: number;
  /** The preview's or the import's counts and first errors, as JSON. */
  result: string;
  created_at: number;
  updated_at: number;
  /** Who runs the import now: a token of that run, and until when it holds it (epoch ms). */
  lease_owner: string | null;
  lease_until: number | null;
  /** How many runs have started (the first, and each one taking over or run again). */
  attempts: number;
  /** What a run needs to go on from another (its audit entry, its checkpoint), as JSON. */
  run: string | null;
}

/** The uploaded file, in pieces small enough for any database's packet limit. */
export interface ImportChunksTable {
  import_id: string;
  seq: number;
  data: Uint8Array;
}

/** A user's TOTP secret: pending while `enabled_at` is null, on once confirmed with a code. */
export interface TwoFactorTable {
  user_id: number;
  /** The base32 secret (the server must read it to compute codes). */
  secret: string;
  created_at: number;
  enabled_at: number | null;
  /** The last time step a code was accepted for: it and older ones are refused (no replay). */
  last_used_step: number | null;
}

/** One-time recovery codes, stored only as SHA-256 hashes; `used_at` is set when one is used. */
export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** Password-reset links: only the SHA-256 hash of each token; `used_at` set once, when used. */
export interface PasswordResetsTable {
  token_hash: string;
  /** The account, or -1: a request for an email with no usable account (a row no link can use). */
  user_id: number;
  /** `email` (asked for on /forgot-password) or `admin` (`deno task admin reset-link`). */
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Secrets the app made once and every instance shares (by name), e.g. the FHIR id key. */
export interface AppSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

/** A FHIR Bulk Data export job: what was asked, how far it got, and its files' counts. */
export interface FhirExportsTable {
  id: string;
  user_id: number;
  /** The registry's opaque id (as callers pass it). */
  registry_id: string;
  /** `plain` or `deidentified` (a viewer's). */
  form: string;
  /** `queued`, `running`, `done`, `failed` or `cancelled`. */
  status: string;
  /** The FHIR base the file URLs start with (`https://host/fhir`). */
  base: string;
  /** The kick-off request's URL, as the manifest repeats it. */
  request: string;
  /** The resource types asked for, comma-separated. */
  types: string;
  /** `_since` (epoch ms), or null. */
  since: number | null;
  /** When the run began reading (epoch ms), the manifest's `transactionTime`. */
  transaction_time: number | null;
  /** What `X-Progress` says while it runs. */
  progress: string | null;
  /** The files written: JSON `{"run","output":[{type,count}],"error":[{type,count}]}`. */
  output: string | null;
  /** Why it failed, in words for the client. */
  message: string | null;
  client: string | null;
  request_id: string | null;
  /** Who runs the job now: a token of that run, and until when it holds it (epoch ms). */
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  /** When its files go (epoch ms): an hour after it ended. */
  expires_at: number | null;
}

/** An export's NDJSON files, in pieces small enough for any database's packet limit. */
export interface FhirExportChunksTable {
  export_id: string;
  /** The run that wrote it (the lease owner's token): the job's files are its last run's. */
  run: string;
  /** The file's name: its resource type (`Patient`, …, `OperationOutcome` for the errors). */
  file: string;
  seq: number;
  data: Uint8Array;
}

export interface AccountsSchema extends RegistryTables {
  login_data: LoginDataTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_failures: LoginFailuresTable;
  imports: ImportsTable;
  import_chunks: ImportChunksTable;
  two_factor: TwoFactorTable;
  recovery_codes: RecoveryCodesTable;
  password_resets: PasswordResetsTable;
  app_secrets: AppSecretsTable;
  fhir_exports: FhirExportsTable;
  fhir_export_chunks: FhirExportChunksTable;
}
