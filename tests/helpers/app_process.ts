/**
 * The app as a process of its own (`deno run main.ts`), for the suites that need what only a
 * process has: its start-up lines, its resident memory, or being killed mid-work.
 */
import assert from "node:assert/strict";
import { freePort } from "./ports.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Variables the child needs to find Deno's cache; nothing of the test's database settings. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"];
  return Object.fromEntries(
    keep.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

export interface RunningApp {
  port: number;
  pid: number;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Everything printed so far, stdout and stderr together. */
  output(): string;
  /** Waits until the output matches `pattern`; fails after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Its resident memory now, in bytes (Linux). */
  rss(): number;
  /** Ends it as a crash would (SIGKILL: no clean-up of any kind). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `deno run main.ts` with exactly `env` (plus what Deno itself needs). */
export function startMain(env: Record<string, string>): RunningApp {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "main.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: { ...baseEnv(), NO_COLOR: "1", PORT: String(port), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let stopped = false;
  const end = async (signal: Deno.Signal) => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill(signal);
    } catch {
      // It had already exited.
    }
    await child.status;
    await collected;
  };
  return {
    port,
    pid: child.pid,
    base: `http://127.0.0.1:${port}`,
    output: () => text,
    async waitFor(pattern, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) assert.fail(`no ${pattern} within ${ms} ms in:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    rss() {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
    },
    kill: () => end("SIGKILL"),
    stop: () => end("SIGTERM"),
  };
}
