/**
 * `/api/tokens`: `POST` (email + password, and the second factor's code when it is on → a new
 * token; public: the credentials are in the body; with `registry`, a token that acts in that
 * registry only) and `DELETE /api/tokens/{id}`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { createApiToken, revokeApiToken } from "../db/accounts/api_tokens.ts";
import { ACCOUNT_RULES } from "../lib/account_rules.ts";
import { ACCOUNT_LOCKED, tooManyAttempts, WRONG_CREDENTIALS } from "../lib/accounts/credentials.ts";
import { WRONG_CODE } from "../lib/accounts/second_factor.ts";
import { InvalidInputError, ThrottledError } from "../lib/errors.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import { pathId, TOKEN_ID } from "../http/path_id.ts";
import { problem } from "../http/problem.ts";

const tokenRequest = z.strictObject({
  email: z.string({ error: "Send the account's email" }).max(ACCOUNT_RULES.email.max),
  password: z.string({ error: "Send the account's password" }).max(1024),
  name: z.string({ error: "A token name is text" }).trim().min(1, {
    error: "Give the token a name",
  }).max(ACCOUNT_RULES.tokenName.max, {
    error: `Use at most ${ACCOUNT_RULES.tokenName.max} characters`,
  }).optional(),
  code: z.string({ error: 'The code is text, e.g. "123456"' }).max(64).optional(),
  registry: z.string({ error: "A registry id is text, as GET /api/registries gives it" })
    .min(1, { error: "Name a registry, or leave the field out" })
    .max(64, { error: "No registry has an id this long" }).optional(),
});

const CODE_REQUIRED =
  'This account uses two-factor authentication: send the current code of the authenticator app (or a recovery code) as "code".';

export const apiTokenRoutes = new Hono<AppEnv>();

apiTokenRoutes.post("/", async (c) => {
  const result = tokenRequest.safeParse(await jsonBody(c));
  if (!result.success) {
    throw new InvalidInputError(result.error.issues.map((issue) => ({
      field: issue.code === "unrecognized_keys"
        ? issue.keys.join(", ")
        : String(issue.path[0] ?? ""),
      message: issue.code === "unrecognized_keys" ? "Unknown field" : issue.message,
    })));
  }
  const { email, password, name, code, registry } = result.data;
  const accounts = c.get("accounts");
  const check = await accounts.checkCredentials(email, password, c.get("clientAddress"));
  if (!check.ok) {
    if (check.throttledForMs > 0) {
      throw new ThrottledError(check.throttledForMs, tooManyAttempts(check.throttledForMs));
    }
    c.header("WWW-Authenticate", 'Bearer realm="api"');
    return problem(c, {
      title: check.locked ? "Account locked" : "Wrong credentials",
      status: 401,
      detail: check.locked ? ACCOUNT_LOCKED : WRONG_CREDENTIALS,
    });
  }
  if (await accounts.secondFactorOn(check.user.id)) {
    const second = code === undefined
      ? null
      : await accounts.checkSecondFactor(check.user.id, code, c.get("clientAddress"));
    if (second?.ok === false && second.throttledForMs > 0) {
      throw new ThrottledError(second.throttledForMs, tooManyAttempts(second.throttledForMs));
    }
    if (!second?.ok) {
      c.header("WWW-Authenticate", 'Bearer realm="api"');
      return problem(c, {
        title: second ? "Wrong code" : "Code required",
        status: 401,
        detail: second ? WRONG_CODE : CODE_REQUIRED,
      });
    }
  }
  // A token for one registry: its user must be a member there now (404 otherwise).
  const bound = registry === undefined
    ? null
    : await c.get("registries").resolveAccess({ userId: check.user.id }, registry);
  const token = await createApiToken(
    c.get("deps").stores.accounts,
    check.user.id,
    name ?? `API token ${new Date().toISOString().slice(0, 10)}`,
    bound?.scope ?? null,
  );
  return c.json({
    id: token.id,
    name: token.name,
    token: token.token,
    created_at: token.created_at.toISOString(),
    ...(bound ? { registry: bound.registryId } : {}),
  }, 201);
});

apiTokenRoutes.delete("/:id", async (c) => {
  const id = pathId(c, TOKEN_ID);
  if (!await revokeApiToken(c.get("deps").stores.accounts, c.get("user")!.id, id)) {
    throw TOKEN_ID.missing(c.req.param("id"));
  }
  return c.body(null, 204);
});
