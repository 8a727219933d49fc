/** `POST /api/tokens` (email + password → a new token) and `DELETE /api/tokens/{id}`. */
import { Hono } from "hono";
import { z } from "zod";
import { createApiToken, revokeApiToken } from "../db/api_tokens.ts";
import { clientAddress, credentialDeps } from "./auth_guard.ts";
import { checkCredentials, tooManyAttempts, WRONG_CREDENTIALS } from "./credentials.ts";
import type { AppEnv } from "./env.ts";
import { jsonBody } from "./json_body.ts";
import { problem } from "./problem.ts";

const tokenRequest = z.strictObject({
  email: z.string({ error: "Send the account's email" }).max(255),
  password: z.string({ error: "Send the account's password" }).max(1024),
  name: z.string({ error: "A token name is text" }).trim().min(1, {
    error: "Give the token a name",
  })
    .max(100, { error: "Use at most 100 characters" }).optional(),
});

export const apiTokenRoutes = new Hono<AppEnv>();

apiTokenRoutes.post("/api/tokens", async (c) => {
  const parsed = await jsonBody(c);
  if (!parsed.ok) return parsed.res;
  const result = tokenRequest.safeParse(parsed.body);
  if (!result.success) {
    return problem(c, {
      title: "Invalid input",
      status: 422,
      detail: "The request body has problems; see `errors`.",
      errors: result.error.issues.map((issue) => ({
        field: issue.code === "unrecognized_keys"
          ? issue.keys.join(", ")
          : String(issue.path[0] ?? ""),
        message: issue.code === "unrecognized_keys" ? "Unknown field" : issue.message,
      })),
    });
  }
  const { email, password, name } = result.data;
  const check = await checkCredentials(credentialDeps(c), email, password, clientAddress(c));
  if (!check.ok) {
    if (check.throttledForMs > 0) {
      c.header("Retry-After", String(Math.ceil(check.throttledForMs / 1000)));
      return problem(c, {
        title: "Too many attempts",
        status: 429,
        detail: tooManyAttempts(check.throttledForMs),
      });
    }
    c.header("WWW-Authenticate", 'Bearer realm="api"');
    return problem(c, { title: "Wrong credentials", status: 401, detail: WRONG_CREDENTIALS });
  }
  const token = await createApiToken(
    c.get("deps").stores.accounts,
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

apiTokenRoutes.delete("/api/tokens/:id", async (c) => {
  const id = Number(c.req.param("id"));
  const revoked = /^\d+$/.test(c.req.param("id")) && Number.isSafeInteger(id) &&
    await revokeApiToken(c.get("deps").stores.accounts, c.get("user")!.id, id);
  if (!revoked) {
    return problem(c, {
      title: "Not found",
      status: 404,
      detail: `You have no API token ${c.req.param("id")}.`,
    });
  }
  return c.body(null, 204);
});
