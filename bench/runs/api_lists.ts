/**
 * The API list: one fixed URL, the random mix, and the random mix again while logins run at a
 * steady rate (bcrypt must not stall the app: p99 within `stallGoal` × idle).
 */
import { BUSY, loginForm, pacedLogins } from "../lib/logins.ts";
import {
  appTarget,
  type Bench,
  BenchFailure,
  gets,
  measure,
  progress,
  toResult,
  wrkOrFail,
} from "../lib/measure.ts";
import { fmtMs, fmtRps } from "../lib/report.ts";
import { percentile } from "../lib/stats.ts";
import type { WrkResult } from "../lib/wrk.ts";
import { FIXED_LIST } from "./ceilings.ts";
import { type BigRegistry, measureBigRegistries } from "./big_registries.ts";
import { ACCOUNT, type EmbeddedApp } from "./embedded.ts";

export async function measureApiLists(
  bench: Bench,
  app: EmbeddedApp,
  mix: readonly string[],
  registries: readonly BigRegistry[],
) {
  const { settings, results } = bench;
  await measure(
    bench,
    appTarget(bench, app, {
      id: "api-fixed",
      label: `GET ${FIXED_LIST} (fixed, bearer token)`,
      requests: gets([FIXED_LIST]),
      headers: app.bearer,
    }),
  );
  const apiRandom = appTarget(bench, app, {
    id: "api-random",
    label: "GET /api/patient_data?… random mix (bearer token)",
    requests: gets(mix.map((q) => `/api/patient_data?${q}`)),
    headers: app.bearer,
  });
  const idle = await measure(bench, apiRandom);
  // Big registries right after, so that their shares compare runs made moments apart.
  await measureBigRegistries(bench, app, mix, registries);

  // The same mix while logins run at a steady rate: bcrypt must not stall the app.
  progress(`  …again while ${settings.loginsPerSecond} logins per second run`);
  const form = await loginForm(app.child.base, ACCOUNT);
  const logins = pacedLogins(
    app.child.base,
    form,
    settings.loginsPerSecond,
    settings.maxLoginsInFlight,
  );
  let underLogins: WrkResult;
  let loginRun: Awaited<ReturnType<typeof logins.stop>>;
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the logins reach their pace
    logins.mark();
    app.rss.reset();
    underLogins = await wrkOrFail(bench, apiRandom, settings.seconds, "while logins run");
  } finally {
    loginRun = await logins.stop();
  }
  const loginProblems = Object.entries(loginRun.statuses).filter(([s]) =>
    s !== "303" && s !== BUSY
  );
  if (loginProblems.length) {
    throw new BenchFailure(
      `Paced logins: ${loginProblems.map(([s, n]) => `${n} × ${s}`).join(", ")}` +
        `\n${app.child.stderr()}`,
    );
  }
  const withLogins = toResult(
    {
      ...apiRandom,
      id: "api-random-logins",
      label: `GET /api/patient_data?… random mix while ${settings.loginsPerSecond} logins/s run ` +
        "(bearer token)",
    },
    underLogins,
    app.rss.peak(),
  );
  results.targets.push(withLogins);
  const stall = results.stall = {
    idle_p99_ms: idle.p99_ms,
    under_logins_p99_ms: withLogins.p99_ms,
    ratio: withLogins.p99_ms / idle.p99_ms,
    goal: settings.stallGoal,
    met: withLogins.p99_ms <= settings.stallGoal * idle.p99_ms,
    under_logins_rps: withLogins.rps,
    logins_per_second: settings.loginsPerSecond,
    logins: {
      sent: loginRun.windowSent,
      sent_in_all: loginRun.sent,
      skipped: loginRun.skipped,
      completed: loginRun.completed,
      sent_per_s: loginRun.windowSent / loginRun.windowSeconds,
      completed_per_s: loginRun.seconds > 0 ? loginRun.completed / loginRun.seconds : 0,
      p50_ms: percentile(loginRun.latencies, 0.5),
      p99_ms: percentile(loginRun.latencies, 0.99),
      statuses: loginRun.statuses,
    },
  };
  progress(
    `  ${withLogins.label}: ${fmtRps(withLogins.rps)} req/s, p99 ${fmtMs(withLogins.p99_ms)} ` +
      `(${stall.ratio.toFixed(2)}× idle); logins p50 ${fmtMs(stall.logins.p50_ms)}`,
  );
}
