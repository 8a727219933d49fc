/**
 * The registries' tables in the accounts database, as Kysely types (created by
 * `db/migrations/accounts/007_registries.ts`).
 *
 * A registry's **number** scopes its patient documents (their `user_id`): a personal registry's
 * is its user's id (positive; it has no row here), a team registry's is −`registries.id`. Rows
 * of `registries` are never removed (a deleted one keeps `deleted_at`), so no number is reused.
 */
import type { Generated } from "kysely";

/** Team registries; `public_id` is the opaque id callers see (`t` + 16 base32 characters). */
export interface RegistriesTable {
  id: Generated<number>;
  public_id: string;
  name: string;
  /** The account that created it (the 100-per-user limit counts these). */
  created_by: number;
  created_at: number;
  /** When its last owner deleted it (epoch ms); null while it exists. */
  deleted_at: number | null;
}

/** Members and invitations of team registries, one row per registry and email. */
export interface RegistryMembersTable {
  registry_id: number;
  /** The member's account; null for an invitation (no account has this email yet). */
  user_id: number | null;
  /** Trimmed and lower-cased. */
  email: string;
  /** `owner`, `editor` or `viewer`. */
  role: string;
  /** `active` or `invited`. */
  status: string;
  /** Who added them (the creator for the first owner). */
  added_by: number | null;
  added_at: number;
}

/** The membership audit: every change of a registry or its members, appended only. */
export interface RegistryEventsTable {
  id: Generated<number>;
  registry_id: number;
  created_at: number;
  /** Who acted; null when the app did (an invitation accepted at registration). */
  actor_id: number | null;
  /** `create`, `rename`, `delete`, `add`, `invite`, `accept`, `role`, `remove` or `leave`. */
  action: string;
  member_email: string | null;
  member_user_id: number | null;
  role_before: string | null;
  role_after: string | null;
  /** A rename's names, as JSON `{"before","after"}`; null otherwise. */
  details: string | null;
  client: string | null;
  request_id: string | null;
}

/** The registries' part of the accounts schema. */
export interface RegistryTables {
  registries: RegistriesTable;
  registry_members: RegistryMembersTable;
  registry_events: RegistryEventsTable;
}
