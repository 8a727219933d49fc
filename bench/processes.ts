/**
 * The processes the benchmark starts — the app (`deno run -A main.ts`) and the ceiling server —
 * each on a free port, with what they print to stderr kept (the last few kilobytes) for an error
 * report, and the app's memory read from /proc/<pid>/status.
 */

const ROOT = new URL("../", import.meta.url).pathname;
const STDERR_KEPT = 8_000;

/** A free TCP port on loopback (closed again at once; the child binds it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export interface Child {
  pid: number;
  base: string;
  /** The tail of what it printed to stderr. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** The environment without the database settings (so the child gets only what is given). */
function baseEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of Object.keys(env)) {
    if (/^(MYSQL_|MONGO_|LOGIN_LIMIT_|REGISTER_LIMIT_|PORT$|HOST$|DATA_DIR$)/.test(name)) {
      delete env[name];
    }
  }
  return env;
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
    env: { ...baseEnv(), ...env, PORT: String(port), HOST: "127.0.0.1" },
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
      }, 5_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/** The app as `deno run -A main.ts`, with `env` (DATA_DIR, SESSION_SECRET, MONGO_*). */
export function startApp(env: Record<string, string>): Promise<Child> {
  return spawn("main.ts", env, "/healthz");
}

/** bench/ceiling_server.ts with `env`. */
export function startCeilingServer(env: Record<string, string>): Promise<Child> {
  return spawn("bench/ceiling_server.ts", env, "/tiny");
}

function statusField(pid: number, field: string): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

/**
 * The peak resident memory of a process between `reset()` and `peak()`: Linux's high-water mark
 * (VmHWM), reset by writing 5 to /proc/<pid>/clear_refs; where that is refused, the largest
 * VmRSS seen by sampling every 50 ms.
 */
export class PeakRss {
  #sampled = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #resettable = true;
  /** The largest peak returned so far (a reset forgets the kernel's). */
  #overall = 0;

  constructor(readonly pid: number) {}

  /** The high-water mark since the process started (or the last reset), in bytes. */
  hwm(): number {
    return statusField(this.pid, "VmHWM");
  }

  rss(): number {
    return statusField(this.pid, "VmRSS");
  }

  reset(): void {
    this.#overall = Math.max(this.#overall, this.hwm());
    try {
      Deno.writeTextFileSync(`/proc/${this.pid}/clear_refs`, "5");
    } catch {
      this.#resettable = false;
    }
    this.#sampled = this.rss();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      try {
        this.#sampled = Math.max(this.#sampled, this.rss());
      } catch {
        clearInterval(this.#timer);
      }
    }, 50);
  }

  /** The peak since `reset()`, in bytes; stops sampling. */
  peak(): number {
    clearInterval(this.#timer);
    const sampled = Math.max(this.#sampled, this.rss());
    const peak = this.#resettable ? Math.max(this.hwm(), sampled) : sampled;
    this.#overall = Math.max(this.#overall, peak);
    return peak;
  }

  /** The peak over the process's life so far (every measured peak, and VmHWM now), in bytes. */
  overall(): number {
    return Math.max(this.#overall, this.hwm());
  }
}
