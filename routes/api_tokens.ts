/**
 * `POST /api/tokens` (email + password, and the second factor's code when it is on → a new
 * token, public) and `DELETE /api/tokens/{id}`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { createApiToken, revokeApiToken } from "../db/api_tokens.ts";
import { ACCOUNT_RULES } from "../lib/account_rules.ts";
import { InvalidInputError, NotFoundError, ThrottledError } from "../lib/errors.ts";
import {
  ACCOUNT_LOCKED,
  checkCredentials,
  credentialDeps,
  tooManyAttempts,
  WRONG_CREDENTIALS,
} from "./credentials.ts";
import type { AppEnv } from "./env.ts";
import { jsonBody } from "./json_body.ts";
import { checkSecondFactor, secondFactorOn, WRONG_CODE } from "./second_factor.ts";
import { problem } from "./problem.ts";

const tokenRequest = z.strictObject({
  email: z.string({ error: "Send the account's email" }).max(ACCOUNT_RULES.email.max),
  password: z.string({ error: "Send the account's password" }).max(1024),
  name: z.string({ error: "A token name is text" }).trim().min(1, {
    error: "Give the token a name",
  }).max(ACCOUNT_RULES.tokenName.max, {
    error: `Use at most ${ACCOUNT_RULES.tokenName.max} characters`,
  }).optional(),
  code: z.string({ error: 'The code is text, e.g. "123456"' }).max(64).optional(),
});

const CODE_REQUIRED =
  'This account uses two-factor authentication: send the current code of the authenticator app (or a recovery code) as "code".';

/** Mounted before authentication: the credentials are in the body. */
export const publicApiTokenRoutes = new Hono<AppEnv>();

publicApiTokenRoutes.post("/api/tokens", async (c) => {
  const result = tokenRequest.safeParse(await jsonBody(c));
  if (!result.success) {
    throw new InvalidInputError(result.error.issues.map((issue) => ({
      field: issue.code === "unrecognized_keys"
        ? issue.keys.join(", ")
        : String(issue.path[0] ?? ""),
      message: issue.code === "unrecognized_keys" ? "Unknown field" : issue.message,
    })));
  }
  const { email, password, name, code } = result.data;
  const check = await checkCredentials(credentialDeps(c), email, password, c.get("clientAddress"));
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
  const { accounts } = c.get("deps").stores;
  if (await secondFactorOn(accounts, check.user.id)) {
    const second = code === undefined
      ? null
      : await checkSecondFactor(credentialDeps(c), check.user.id, code, c.get("clientAddress"));
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
  const token = await createApiToken(
    accounts,
    check.user.id,
    name ?? `API token ${new Date().toISOString().slice(0, 10)}`,
  );
  return c.json({
    id: token.id,
    name: token.name,
    token: token.token,
    created_at: token.created_at.toISOString(),
  }, 201);
});

export const apiTokenRoutes = new Hono<AppEnv>();

apiTokenRoutes.delete("/api/tokens/:id", async (c) => {
  const text = c.req.param("id");
  const id = Number(text);
  const revoked = /^\d+$/.test(text) && Number.isSafeInteger(id) &&
    await revokeApiToken(c.get("deps").stores.accounts, c.get("user")!.id, id);
  if (!revoked) throw new NotFoundError(`You have no API token ${text}.`);
  return c.body(null, 204);
});
