/**
 * `/api/registries`: the caller's registries (personal first), creating, renaming and deleting
 * team registries, and their members — listed by any member, changed by owners, and left by
 * anyone. Mounted at `/api/registries` after the API's authentication.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { InvalidInputError } from "../lib/errors.ts";
import { requireRight } from "../lib/registry_service.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import {
  memberNotifier,
  registryAccess,
  registryActor,
  registryCaller,
} from "../http/registry_access.ts";

export const apiRegistryRoutes = new Hono<AppEnv>();

/**
 * The JSON object of the body with only `fields` (each checked by the service); anything else
 * is a 422 naming it.
 */
async function bodyOf<F extends string>(
  c: Context<AppEnv>,
  ...fields: F[]
): Promise<Record<F, unknown>> {
  const shape = Object.fromEntries(fields.map((field) => [field, z.unknown()]));
  const result = z.strictObject(shape).safeParse(await jsonBody(c));
  if (!result.success) {
    throw new InvalidInputError(result.error.issues.map((issue) => ({
      field: issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "",
      message: issue.code === "unrecognized_keys"
        ? "Unknown field"
        : `Send a JSON object with ${fields.map((f) => `"${f}"`).join(" and ")}`,
    })));
  }
  return result.data as Record<F, unknown>;
}

/** The `{rid}` of the path, with the caller's access to it (404 for a non-member). */
const access = (c: Context<AppEnv>) => registryAccess(c, c.req.param("rid") ?? "");

apiRegistryRoutes.get("/", async (c) => {
  return c.json(await c.get("registries").listRegistries(registryCaller(c)));
});

apiRegistryRoutes.post("/", async (c) => {
  const { name } = await bodyOf(c, "name");
  const created = await c.get("registries").create(registryActor(c), name);
  c.header("Location", `/api/registries/${created.id}`);
  const { members: _one, ...body } = created;
  return c.json(body, 201);
});

apiRegistryRoutes.get("/:rid", async (c) => {
  return c.json(await c.get("registries").summary(await access(c)));
});

apiRegistryRoutes.patch("/:rid", async (c) => {
  const registry = await access(c);
  requireRight(registry, "rename"); // before the body: one without the right learns nothing more
  const { name } = await bodyOf(c, "name");
  return c.json(await c.get("registries").rename(registry, registryActor(c), name));
});

apiRegistryRoutes.delete("/:rid", async (c) => {
  const registry = await access(c);
  const { patients } = c.get("deps").stores;
  await c.get("registries").delete(registry, registryActor(c), async (scope) => {
    const [live, deleted] = await Promise.all([
      patients.count(scope),
      patients.listDeleted(scope, { page: 1, perPage: 1 }),
    ]);
    return live + deleted.total;
  });
  return c.body(null, 204);
});

apiRegistryRoutes.get("/:rid/members", async (c) => {
  const registry = await access(c);
  return c.json(await c.get("registries").members(registry, registryCaller(c)));
});

apiRegistryRoutes.post("/:rid/members", async (c) => {
  const registry = await access(c);
  requireRight(registry, "manage_members");
  const input = await bodyOf(c, "email", "role");
  const member = await c.get("registries").addMember(
    registry,
    registryActor(c),
    input,
    memberNotifier(c),
  );
  return c.json(member, 201);
});

apiRegistryRoutes.patch("/:rid/members/:email", async (c) => {
  const registry = await access(c);
  requireRight(registry, "manage_members");
  const { role } = await bodyOf(c, "role");
  const email = c.req.param("email");
  const member = await c.get("registries").changeRole(registry, registryActor(c), email, role);
  return c.json(member);
});

apiRegistryRoutes.delete("/:rid/members/:email", async (c) => {
  const registry = await access(c);
  await c.get("registries").removeMember(registry, registryActor(c), c.req.param("email"));
  return c.body(null, 204);
});
