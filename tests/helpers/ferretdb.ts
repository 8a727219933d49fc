/**
 * A FerretDB server of the test's own, for outages that are real kills: the binary of
 * `FERRETDB_BIN` (as `.ci/run` builds it) on a free port over a temporary directory. `kill()`
 * ends the process with SIGKILL; `start()` runs it again on the same port and data; `hang()`
 * stops it (SIGSTOP: connections stay open, nothing answers) until `resume()`.
 */
import { IN_CI } from "./backends.ts";
import { freePort } from "./ports.ts";

export interface FerretDb {
  /** The port it listens on, the same after every `start()`. */
  readonly port: number;
  readonly uri: string;
  /** SIGKILL, and waits until the process is gone. */
  kill(): Promise<void>;
  /** Starts it again; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGSTOP: it keeps its connections and answers nothing. */
  /** Stops the process (SIGSTOP); resolves once the kernel says it is stopped. */
  hang(): Promise<void>;
  /** SIGCONT. */
  resume(): void;
  /** Kills it and removes its data. */
  close(): Promise<void>;
}

/** The FerretDB binary, or null when it is not there (an error in CI, where it must be). */
export function ferretDbBinary(): string | null {
  const path = Deno.env.get("FERRETDB_BIN") ??
    `${Deno.env.get("HOME") ?? ""}/.cache/spm/ferretdb-v1.24.2`;
  try {
    if (Deno.statSync(path).isFile) return path;
  } catch {
    // not built here
  }
  if (IN_CI) throw new Error(`CI must provide FerretDB at FERRETDB_BIN (${path})`);
  return null;
}

async function accepts(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Starts FerretDB (SQLite handler, as in CI) and waits until it accepts connections. */
export async function startFerretDb(binary: string): Promise<FerretDb> {
  const dir = await Deno.makeTempDir({ prefix: "spm-ferretdb-" });
  const port = freePort();
  let child: Deno.ChildProcess | null = null;

  async function start(): Promise<void> {
    if (child) return;
    child = new Deno.Command(binary, {
      args: [
        "--handler=sqlite",
        `--sqlite-url=file:${dir}/`,
        `--state-dir=${dir}`,
        `--listen-addr=127.0.0.1:${port}`,
        "--telemetry=disable",
        "--debug-addr=-",
        "--log-level=error",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (Date.now() > deadline) throw new Error(`FerretDB did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function kill(): Promise<void> {
    const running = child;
    child = null;
    if (!running) return;
    running.kill("SIGKILL");
    await running.status;
  }

  await start();
  return {
    port,
    uri: `mongodb://127.0.0.1:${port}`,
    kill,
    start,
    async hang() {
      const running = child;
      if (!running) return;
      running.kill("SIGSTOP");
      // A signal is acted on when the process next runs; on a loaded machine that can be after
      // the next request reached it. Its state in /proc says when it has stopped.
      const deadline = Date.now() + 5_000;
      while (!/\) T /.test(await Deno.readTextFile(`/proc/${running.pid}/stat`))) {
        if (Date.now() > deadline) throw new Error("FerretDB did not stop");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    resume: () => child?.kill("SIGCONT"),
    async close() {
      await kill();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
