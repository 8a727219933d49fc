/** Logins as the bench sends them: a visitor's login form filled in, and logins at a pace. */
import { Browser } from "./client.ts";

export interface LoginForm {
  headers: Record<string, string>;
  body: string;
}

/** An anonymous visitor's login form: its CSRF cookie and token, filled in. */
export async function loginForm(
  base: string,
  account: { email: string; password: string },
): Promise<LoginForm> {
  const visitor = new Browser(base);
  await visitor.page("/login");
  return {
    headers: {
      Cookie: visitor.cookieHeader(),
      Origin: base,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ ...account, _csrf: visitor.csrf }).toString(),
  };
}

/** A login turned away because the password checks were busy (503 with Retry-After). */
export const BUSY = "503 busy";

/**
 * Logins sent at a steady rate (an open loop) until `stop()`; each must answer 303, or 503 with
 * Retry-After when more arrive than the password checks can take. While `maxInFlight` are
 * unanswered, the next are skipped (and counted) instead of sent.
 */
export function pacedLogins(base: string, form: LoginForm, perSecond: number, maxInFlight: number) {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const count = (key: string) => {
    statuses[key] = (statuses[key] ?? 0) + 1;
  };
  let sent = 0;
  let skipped = 0;
  let stopped = false;
  let lastAnswer = 0;
  const started = performance.now();
  let windowStart = started;
  let windowSent = 0;
  const send = () => {
    if (inFlight.size >= maxInFlight) {
      skipped++;
      return;
    }
    sent++;
    windowSent++;
    const t0 = performance.now();
    const p = fetch(`${base}/login`, {
      method: "POST",
      headers: form.headers,
      body: form.body,
      redirect: "manual",
      signal: AbortSignal.timeout(60_000),
    }).then(async (res) => {
      await res.body?.cancel();
      const ok = res.status === 303 && res.headers.get("Location") !== null;
      // 503 with Retry-After: the password checks were busy for 5 s and this one was turned
      // away (lib/work_gate.ts), which is how the app keeps bcrypt from stalling it.
      const busy = res.status === 503 && res.headers.get("Retry-After") !== null;
      count(ok ? "303" : busy ? BUSY : `${res.status} (Location ${res.headers.get("Location")})`);
      lastAnswer = performance.now();
      latencies.push(lastAnswer - t0);
    }).catch((error) => {
      count(`error: ${error?.name ?? error}`);
    }).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const loop = (async () => {
    const interval = 1000 / perSecond;
    let next = performance.now();
    while (!stopped) {
      send();
      next += interval;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
  })();
  return {
    /** Starts the measured window (the logins sent before it were the ramp-up). */
    mark() {
      windowStart = performance.now();
      windowSent = 0;
      latencies.length = 0;
    },
    async stop() {
      stopped = true;
      const windowSeconds = (performance.now() - windowStart) / 1000;
      await loop;
      await Promise.all(inFlight);
      // From the first login sent to the last answer: the rate the app got through them.
      const seconds = (Math.max(lastAnswer, started) - started) / 1000;
      const completed = statuses["303"] ?? 0;
      return {
        sent,
        skipped,
        seconds,
        windowSent,
        windowSeconds,
        completed,
        statuses,
        latencies,
      };
    },
  };
}
