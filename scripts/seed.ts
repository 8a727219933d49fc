/**
 * `deno task seed --count N --email user@example.org [--password …]`: writes N realistic
 * synthetic patient records (see `scripts/synthetic_patients.ts`; drawn from the published
 * dataset's aggregates in `bench/seed_distribution.json`) and their acute stroke admissions
 * (`lib/stroke/synthetic_admissions.ts`: every stroke patient, a few others with a TIA or a
 * mimic) for one user into the configured stores — the same environment variables as the app
 * (`DATA_DIR`, `MYSQL_*`, `MONGO_*`). The account is created when it does not exist (with
 * `--password`, or a random one that is printed). Ids follow the user's highest; records and
 * admissions go in with the stores' bulk inserts in batches (no audit entry per record: this is
 * a load tool, not an import).
 *
 * Options: `--name` (a new account's name), `--seed` (PRNG seed, default 1: the same seed gives
 * the same records, and with the same `--now` the same admissions), `--now` (an ISO 8601 time
 * with its offset, not in the future: the admissions are spread over the three years before it;
 * default the present), `--batch` (records per insert, default 10,000), `--summary file.json`
 * (writes the seeded records' counts per value of every categorical field, for checking totals).
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { closeStores, openStores } from "../db/stores.ts";
import { createUser, findUserByEmail, normalizeEmail } from "../db/accounts/users.ts";
import { emailProblem, passwordProblems } from "../lib/account_rules.ts";
import { hashPassword } from "../lib/passwords.ts";
import { parseOffsetDateTime } from "../lib/stroke/time_zone.ts";
import { CATEGORICAL_FIELDS, MAX_PATIENT_ID, type PatientFields } from "../lib/patient_fields.ts";
import { seedAdmissions, type SeededAdmissions } from "./seed_admissions.ts";
import { loadSeedDistribution, syntheticPatients } from "./synthetic_patients.ts";

const USAGE = "Usage: deno task seed --count N --email user@example.org [--password …] " +
  "[--name …] [--seed 1] [--now 2026-01-01T00:00:00Z] [--batch 10000] [--summary file.json]";

/** What was seeded: counts of the new records, for checking the app's totals against. */
export interface SeedSummary {
  user_id: number;
  email: string;
  first_id: number;
  count: number;
  /** The user's live records after seeding (the store's count). */
  user_total: number;
  /** Strokes among the new records. */
  stroke: number;
  /** New records per value of each categorical field. */
  by: Record<string, Record<string, number>>;
  /** Admissions of the new records, by stroke type. */
  admissions: SeededAdmissions;
  seconds: number;
  records_per_second: number;
  store: string;
}

function positive(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined && fallback !== undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`--${name}`, `must be a whole number from 1 (got "${text ?? ""}")`);
  }
  return value;
}

/** `--now` read: an ISO 8601 time with its offset, not in the future; the present when not given. */
function presentOrBefore(text: string | undefined): Date {
  const present = new Date();
  if (text === undefined) return present;
  const read = parseOffsetDateTime(text);
  if (!read.ok) {
    throw new ConfigError(
      "--now",
      `must be an ISO 8601 time with its offset, such as 2026-01-01T00:00:00Z (got "${text}")`,
    );
  }
  if (read.instant > present) {
    throw new ConfigError("--now", `must not be in the future (got "${text}")`);
  }
  return read.instant;
}

/** Runs the command; returns the exit code. Lines go to `out` and `err`. */
export async function seedCommand(
  args: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let options;
  let config;
  try {
    ({ values: options } = parseArgs({
      args,
      options: {
        count: { type: "string" },
        email: { type: "string" },
        password: { type: "string" },
        name: { type: "string" },
        seed: { type: "string" },
        now: { type: "string" },
        batch: { type: "string" },
        summary: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
    config = loadConfig(env);
  } catch (error) {
    err(error instanceof ConfigError ? `Configuration error: ${error.message}` : String(error));
    err(USAGE);
    return error instanceof ConfigError ? 1 : 2;
  }
  let count: number, seed: number, batch: number, now: Date;
  try {
    count = positive("count", options.count);
    seed = positive("seed", options.seed, 1);
    batch = positive("batch", options.batch, 10_000);
    now = presentOrBefore(options.now);
  } catch (error) {
    err((error as Error).message);
    err(USAGE);
    return 2;
  }
  const email = normalizeEmail(options.email ?? "");
  const badEmail = emailProblem(email);
  if (badEmail) {
    err(`--email: ${badEmail}`);
    err(USAGE);
    return 2;
  }

  const stores = openStores(config);
  try {
    await Promise.all([stores.accounts.ping(), stores.patients.ping()]);
    let user = await findUserByEmail(stores.accounts, email);
    if (!user) {
      const password = options.password ?? crypto.randomUUID();
      const problems = passwordProblems(password, password);
      if (problems.length) {
        err(`--password: ${problems.join("; ")}`);
        return 2;
      }
      user = await createUser(stores.accounts, {
        name: options.name ?? email.split("@")[0]!,
        email,
        passwordHash: await hashPassword(password, config.security.bcryptCost),
      });
      out(
        `Created the account ${email} (user ${user.id})${
          options.password ? "" : ` with the password ${password}`
        }.`,
      );
    } else if (options.password) {
      out(`The account ${email} (user ${user.id}) exists: its password is left as it is.`);
    }
    const userId = user.id;

    const top = await stores.patients.list(userId, {
      filter: {},
      sort: { field: "id", direction: "desc" },
      page: 1,
      perPage: 1,
    });
    const firstId = (top.items[0]?.id ?? 0) + 1;
    if (firstId + count - 1 > MAX_PATIENT_ID) {
      err(`The ids would pass ${MAX_PATIENT_ID}: the user's highest id is ${firstId - 1}.`);
      return 1;
    }

    const distribution = await loadSeedDistribution();
    const by: SeedSummary["by"] = Object.fromEntries(CATEGORICAL_FIELDS.map((f) => [f, {}]));
    const admissions: SeededAdmissions = {};
    let stroke = 0;
    let inserted = 0;
    let taken = 0;
    let pending: PatientFields[] = [];
    let reported = 0;
    const started = performance.now();
    const flush = async () => {
      const result = await stores.patients.insertMany(userId, pending);
      inserted += result.inserted;
      taken += result.duplicateIds.length;
      const duplicate = new Set(result.duplicateIds);
      const stored = pending.filter((patient) => !duplicate.has(patient.id));
      await seedAdmissions(stores.patients, userId, stored, { seed, now }, admissions);
      pending = [];
      if (inserted - reported >= 100_000) {
        reported = inserted;
        const seconds = (performance.now() - started) / 1000;
        err(`  ${inserted.toLocaleString("en-US")} records, ${seconds.toFixed(1)} s`);
      }
    };
    for (const patient of syntheticPatients(distribution, { firstId, count, seed })) {
      for (const field of CATEGORICAL_FIELDS) {
        const counts = by[field]!;
        const value = String(patient[field]);
        counts[value] = (counts[value] ?? 0) + 1;
      }
      stroke += patient.stroke;
      pending.push(patient);
      if (pending.length >= batch) await flush();
    }
    await flush();
    const seconds = (performance.now() - started) / 1000;
    if (taken > 0) {
      // Another writer took some of the ids meanwhile: the summary would not describe the store.
      err(`${taken} ids were taken by another writer meanwhile; those records were not stored.`);
      return 1;
    }
    const summary: SeedSummary = {
      user_id: userId,
      email,
      first_id: firstId,
      count: inserted,
      user_total: await stores.patients.count(userId),
      stroke,
      by,
      admissions,
      seconds: Math.round(seconds * 1000) / 1000,
      records_per_second: Math.round(inserted / seconds),
      store: stores.patients.description,
    };
    const admitted = Object.values(admissions).reduce((sum, n) => sum + n, 0);
    out(
      `Seeded ${inserted.toLocaleString("en-US")} records (ids ${firstId}–${
        firstId + count - 1
      }) and ${admitted.toLocaleString("en-US")} admissions for ${email} in ${
        seconds.toFixed(1)
      } s (${
        summary.records_per_second.toLocaleString("en-US")
      }/s) into ${stores.patients.description}; the user now has ${
        summary.user_total.toLocaleString("en-US")
      }.`,
    );
    if (options.summary) {
      await Deno.writeTextFile(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    err(`Seeding failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await closeStores(stores);
  }
}

if (import.meta.main) {
  Deno.exit(await seedCommand(Deno.args, Deno.env.toObject(), console.log, console.error));
}
