/**
 * The processes the benchmarks start — the app (`deno run -A main.ts`), the ceiling server and
 * the seeder (`scripts/seed.ts`) — the servers each on a free port, with what they print to
 * stderr kept (the last few kilobytes) for an error report.
 */
import { fileURLToPath } from "node:url";
import type { SeedSummary } from "../../scripts/seed.ts";
import { freePort } from "../../tests/helpers/ports.ts";
import { PeakRss } from "./proc.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STDERR_KEPT = 8_000;

export interface Child {
  pid: number;
  base: string;
  /** The tail of what it printed to stderr. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** What a child never inherits: the app's databases, address, data directory, secrets, limits. */
const NOT_INHERITED = [
  /^(MYSQL_|MONGO_|LOGIN_LIMIT_|REGISTER_LIMIT_)/,
  /^(PORT|HOST|DATA_DIR|SESSION_SECRET|FLASK_SECRET)$/,
];

/**
 * This process's environment without the app's databases, address, data directory, secrets and
 * limits, and with `env` over it: a child gets only the settings it is given (other variables,
 * e.g. DB_QUERY_TIMEOUT_MS or DENO_V8_FLAGS, pass through).
 */
function childEnv(env: Record<string, string>): Record<string, string> {
  const out = Deno.env.toObject();
  for (const name of Object.keys(out)) {
    if (NOT_INHERITED.some((pattern) => pattern.test(name))) delete out[name];
  }
  return { ...out, ...env };
}

async function waitUntilUp(
  base: string,
  path: string,
  child: Deno.ChildProcess,
  tail: () => string,
) {
  const deadline = Date.now() + 60_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${base} exited while starting:\n${tail()}`);
    try {
      const res = await fetch(base + path);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${base}${path} did not answer within 60 s:\n${tail()}`);
}

async function spawn(
  script: string,
  env: Record<string, string>,
  readyPath: string,
): Promise<Child> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    cwd: ROOT,
    clearEnv: true,
    env: childEnv({ ...env, PORT: String(port), HOST: "127.0.0.1" }),
    stdin: "null",
    // The app logs one line per request: discarded, as a production log shipper would not slow it.
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let tail = "";
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEPT);
    }
  })().catch(() => {});
  const base = `http://127.0.0.1:${port}`;
  await waitUntilUp(base, readyPath, child, () => tail);
  return {
    pid: child.pid,
    base,
    stderr: () => tail,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        return; // already gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/** The app's process and its memory. */
export interface AppProcess {
  child: Child;
  rss: PeakRss;
}

/** The app as `deno run -A main.ts`, with `env` (DATA_DIR, SESSION_SECRET, MONGO_*, …). */
export async function startApp(env: Record<string, string>): Promise<AppProcess> {
  const child = await spawn("main.ts", env, "/healthz");
  return { child, rss: new PeakRss(child.pid) };
}

/** bench/ceiling_server.ts with `env`. */
export function startCeilingServer(env: Record<string, string>): Promise<Child> {
  return spawn("bench/ceiling_server.ts", env, "/tiny");
}

/**
 * Seeds `count` synthetic records for one user with `scripts/seed.ts` (its last line of output
 * printed) and returns the seeder's summary, written to `summaryPath`.
 */
export async function seedUser(
  env: Record<string, string>,
  options: { count: number; email: string; password: string; summaryPath: string },
): Promise<SeedSummary> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "scripts/seed.ts",
      "--count",
      String(options.count),
      "--email",
      options.email,
      "--password",
      options.password,
      "--summary",
      options.summaryPath,
    ],
    cwd: ROOT,
    env: childEnv(env),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim();
  if (!output.success) {
    throw new Error(`Seeding failed: ${text}\n${new TextDecoder().decode(output.stderr)}`);
  }
  console.error(`  ${text.split("\n").at(-1)}`);
  return JSON.parse(await Deno.readTextFile(options.summaryPath));
}
