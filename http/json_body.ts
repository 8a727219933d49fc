/** Reading a JSON request body: 415 when it is not JSON, 400 when it does not parse (thrown, for the one error handler). */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";

/** The parsed JSON body; throws `HTTPException` 415 or 400. */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HTTPException(415, {
      message: "Send the body as JSON with `Content-Type: application/json`.",
    });
  }
  try {
    return await c.req.json();
  } catch {
    throw new HTTPException(400, { message: "The body is not valid JSON." });
  }
}
