/**
 * The lease by which one app instance holds a long job kept in the accounts database (a CSV
 * import, a FHIR Bulk Data export): its run renews the lease as it goes; once the lease has run
 * out (its instance is gone), any instance may take the job over. Every change a run makes is
 * conditional on it still holding the job, so two instances never both go on with one job.
 * One set of conditions for each kind of job, over its table and the statuses it is in flight in.
 */
import type { Kysely, Selectable, Updateable } from "kysely";
import type { AccountsDb } from "./database.ts";
import type { AccountsSchema } from "./schema.ts";

/** The tables whose jobs are held by a lease. */
type LeasedTable = "imports" | "fhir_exports";

/** The columns of a lease, which every leased table has. */
interface LeaseColumns {
  id: string;
  status: string;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  updated_at: number;
}

/** The accounts database seen through the columns the leased tables share, as one table. */
type LeaseDb = Kysely<{ leased: LeaseColumns }>;

export interface JobLeases<T extends LeasedTable> {
  /**
   * Takes over a job in flight whose lease ran out by `now` (its instance is gone), as `owner`:
   * false when it is not such a job, or another instance took it first.
   */
  takeOver(
    accounts: AccountsDb,
    id: string,
    owner: string,
    leaseMs: number,
    now?: number,
  ): Promise<boolean>;
  /**
   * Renews the lease of the run `owner` for `leaseMs`, recording `changes` with it: false when
   * the run no longer holds a job in flight (another instance took it over, or it was ended).
   */
  renew(
    accounts: AccountsDb,
    id: string,
    owner: string,
    leaseMs: number,
    changes?: Updateable<AccountsSchema[T]>,
  ): Promise<boolean>;
  /**
   * Ends the run `owner` holds with `changes` (its outcome), giving up the lease, inside the
   * caller's transaction or connection: false when the run no longer held a job in flight.
   */
  end(
    db: Kysely<AccountsSchema>,
    id: string,
    owner: string,
    changes: Updateable<AccountsSchema[T]>,
  ): Promise<boolean>;
  /** Jobs in flight whose lease ran out before `now`, oldest first. */
  stalled(
    accounts: AccountsDb,
    now: number,
    limit: number,
  ): Promise<Selectable<AccountsSchema[T]>[]>;
}

/** The leases of the jobs in `table`, in flight while in one of the `inFlight` statuses. */
export function jobLeases<T extends LeasedTable>(
  table: T,
  inFlight: readonly string[],
): JobLeases<T> {
  const leased = (db: Kysely<AccountsSchema>) => db as unknown as LeaseDb;
  /** `table`, named as the one table of LeaseDb (the query names the real one). */
  const jobs = table as unknown as "leased";

  /** Sets `changes` on the job while `owner` holds it in flight. */
  async function whileHeld(
    db: Kysely<AccountsSchema>,
    id: string,
    owner: string,
    changes: Record<string, unknown>,
  ): Promise<boolean> {
    const result = await leased(db).updateTable(jobs).set(changes as Updateable<LeaseColumns>)
      .where("id", "=", id).where("lease_owner", "=", owner)
      .where("status", "in", [...inFlight]).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  return {
    takeOver(accounts, id, owner, leaseMs, now = Date.now()) {
      return accounts.run(async (db) => {
        const result = await leased(db).updateTable(jobs).set((eb) => ({
          lease_owner: owner,
          lease_until: now + leaseMs,
          attempts: eb("attempts", "+", 1),
          updated_at: now,
        })).where("id", "=", id).where("status", "in", [...inFlight])
          .where("lease_until", "<", now).executeTakeFirst();
        return Number(result.numUpdatedRows) === 1;
      });
    },

    renew(accounts, id, owner, leaseMs, changes = {}) {
      return accounts.run((db) => {
        const now = Date.now();
        return whileHeld(db, id, owner, {
          ...changes,
          lease_until: now + leaseMs,
          updated_at: now,
        });
      });
    },

    end(db, id, owner, changes) {
      return whileHeld(db, id, owner, {
        ...changes,
        lease_owner: null,
        lease_until: null,
        updated_at: Date.now(),
      });
    },

    stalled(accounts, now, limit) {
      return accounts.run(async (db) => {
        const rows = await leased(db).selectFrom(jobs).selectAll()
          .where("status", "in", [...inFlight]).where("lease_until", "<", now)
          .orderBy("lease_until").limit(limit).execute();
        return rows as unknown as Selectable<AccountsSchema[T]>[];
      });
    },
  };
}
