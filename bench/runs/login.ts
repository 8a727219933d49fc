/** Login with the right password (bcrypt cost 12), from a few connections. */
import { loginForm } from "../lib/logins.ts";
import { appTarget, type Bench, measure } from "../lib/measure.ts";
import { ACCOUNT, type EmbeddedApp } from "./embedded.ts";

export async function measureLogin(bench: Bench, app: EmbeddedApp) {
  const form = await loginForm(app.child.base, ACCOUNT);
  await measure(
    bench,
    appTarget(bench, app, {
      id: "login",
      label: "POST /login (right password, bcrypt cost 12)",
      requests: [{ method: "POST", path: "/login", body: form.body }],
      headers: form.headers,
      connections: bench.settings.loginConnections,
      expected: 303,
      timeoutSeconds: 60,
      seconds: bench.settings.loginSeconds,
    }),
  );
}
