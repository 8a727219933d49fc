/**
 * Migration 009 (frozen: never edit, add a new migration instead): `app_secrets`, secrets the app
 * makes once and every instance shares (the key of the FHIR resource ids when `FHIR_ID_SECRET` is
 * not set); `fhir_exports`, the FHIR Bulk Data export jobs, and `fhir_export_chunks`, their output
 * files in pieces (by the run that wrote them: a run that lost its job to another instance cannot
 * mix its pieces into the new run's files) — in the database, so that any instance answers a job's status, serves its files
 * and takes over a job whose instance stopped. Every statement may run again: MySQL has no
 * transactional DDL, so a start-up that stopped half-way simply runs it once more.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const MYSQL = [
  `CREATE TABLE IF NOT EXISTS app_secrets (
    name VARCHAR(64) NOT NULL,
    value VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS fhir_exports (
    id VARCHAR(36) NOT NULL,
    user_id INT NOT NULL,
    registry_id VARCHAR(32) NOT NULL,
    form VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    base VARCHAR(512) NOT NULL,
    request TEXT NOT NULL,
    types VARCHAR(100) NOT NULL,
    since BIGINT NULL,
    transaction_time BIGINT NULL,
    progress VARCHAR(255) NULL,
    output TEXT NULL,
    message TEXT NULL,
    client VARCHAR(100) NULL,
    request_id VARCHAR(100) NULL,
    lease_owner VARCHAR(36) NULL,
    lease_until BIGINT NULL,
    attempts INT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NULL,
    PRIMARY KEY (id),
    KEY fhir_exports_user_id (user_id),
    KEY fhir_exports_status (status, lease_until)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS fhir_export_chunks (
    export_id VARCHAR(36) NOT NULL,
    run VARCHAR(36) NOT NULL,
    file VARCHAR(32) NOT NULL,
    seq INT NOT NULL,
    data MEDIUMBLOB NOT NULL,
    PRIMARY KEY (export_id, run, file, seq)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

const SQLITE = [
  `CREATE TABLE IF NOT EXISTS app_secrets (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS fhir_exports (
    id TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL,
    registry_id TEXT NOT NULL,
    form TEXT NOT NULL,
    status TEXT NOT NULL,
    base TEXT NOT NULL,
    request TEXT NOT NULL,
    types TEXT NOT NULL,
    since INTEGER,
    transaction_time INTEGER,
    progress TEXT,
    output TEXT,
    message TEXT,
    client TEXT,
    request_id TEXT,
    lease_owner TEXT,
    lease_until INTEGER,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER
  )`,
  `CREATE INDEX IF NOT EXISTS fhir_exports_user_id ON fhir_exports (user_id)`,
  `CREATE INDEX IF NOT EXISTS fhir_exports_status ON fhir_exports (status, lease_until)`,
  `CREATE TABLE IF NOT EXISTS fhir_export_chunks (
    export_id TEXT NOT NULL,
    run TEXT NOT NULL,
    file TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (export_id, run, file, seq)
  )`,
];

export function appSecretsMigration(dialect: "mysql" | "sqlite"): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      for (const statement of dialect === "mysql" ? MYSQL : SQLITE) {
        await sql.raw(statement).execute(db);
      }
    },
  };
}
