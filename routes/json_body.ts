/** Reading a JSON request body: 415 when it is not JSON, 400 when it does not parse. */
import type { Context } from "hono";
import { problem } from "./problem.ts";

/** The JSON body, or a problem response for a body that is not JSON. */
export async function jsonBody(
  c: Context,
): Promise<{ ok: true; body: unknown } | { ok: false; res: Response }> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    return {
      ok: false,
      res: problem(c, {
        title: "Unsupported content type",
        status: 415,
        detail: "Send the body as JSON with `Content-Type: application/json`.",
      }),
    };
  }
  try {
    return { ok: true, body: await c.req.json() };
  } catch {
    return {
      ok: false,
      res: problem(c, {
        title: "Malformed JSON",
        status: 400,
        detail: "The body is not valid JSON.",
      }),
    };
  }
}
