/**
 * What each registry role may do: the one table of rights (`RIGHTS`) every check reads, the
 * access a request has to one registry, and the check itself (403 naming the role needed).
 * Pure: the patient and admission use-cases check rights with it; `registry_service.ts` reads
 * roles from the database.
 */
import { RegistryForbiddenError, type RegistryRole } from "./errors.ts";

export const REGISTRY_ROLES = ["owner", "editor", "viewer"] as const satisfies RegistryRole[];

/** What a role may do, each right with the words of a refusal ("… needs the editor role"). */
export const RIGHT_NAMES = {
  read: "reading records",
  search: "searching records",
  history: "reading a record's history",
  dashboard: "the dashboard and the data-quality check",
  export_deidentified: "a de-identified export",
  write: "adding and changing records",
  delete: "deleting records",
  restore: "restoring deleted records",
  import: "importing records",
  export_plain: "an export with identifiable values",
  rename: "renaming the registry",
  manage_members: "adding, removing and changing members",
  delete_registry: "deleting the registry",
} as const;

export type RegistryRight = keyof typeof RIGHT_NAMES;

const VIEWER_RIGHTS = ["read", "search", "history", "dashboard", "export_deidentified"] as const;
const EDITOR_RIGHTS = [
  ...VIEWER_RIGHTS,
  "write",
  "delete",
  "restore",
  "import",
  "export_plain",
] as const;

/** The rights of each role: the one table every check reads. */
export const RIGHTS: Readonly<Record<RegistryRole, ReadonlySet<RegistryRight>>> = {
  viewer: new Set(VIEWER_RIGHTS),
  editor: new Set(EDITOR_RIGHTS),
  owner: new Set([...EDITOR_RIGHTS, "rename", "manage_members", "delete_registry"]),
};

/** The name a personal registry is shown with. */
export const PERSONAL_REGISTRY_NAME = "Personal";

/** What a caller may do in one registry, read now. */
export interface RegistryAccess {
  /** The registry's opaque id, as callers pass it (`registry={rid}`). */
  registryId: string;
  /**
   * The registry's number: the `user_id` of its patient documents and audit entries (the
   * user's id for a personal registry, negative for a team's). Every patient store call of
   * the request takes this in place of the user's id.
   */
  scope: number;
  role: RegistryRole;
  personal: boolean;
  name: string;
}

/** True when the role of `access` has `right`. */
export function can(access: Pick<RegistryAccess, "role">, right: RegistryRight): boolean {
  return RIGHTS[access.role].has(right);
}

/** The least role that has `right`. */
export function roleNeeded(right: RegistryRight): RegistryRole {
  return (["viewer", "editor", "owner"] as const).find((role) => RIGHTS[role].has(right))!;
}

/** Throws `RegistryForbiddenError` (403, naming the role needed) unless `access` has `right`. */
export function requireRight(access: RegistryAccess, right: RegistryRight): void {
  if (!can(access, right)) {
    throw new RegistryForbiddenError(
      access.role,
      roleNeeded(right),
      RIGHT_NAMES[right],
      access.name,
    );
  }
}
