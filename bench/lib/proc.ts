/** What /proc says about a process the benchmarks started: its memory (peak RSS) and CPU time. */

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

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name), in
  // clock ticks of 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Bytes in MiB to one decimal, as the scale report gives memory. */
export function mebibytes(bytes: number): number {
  return Math.round(bytes / 2 ** 20 * 10) / 10;
}

/** What one timed request cost the app: wall and CPU seconds, its RSS before and at the peak. */
export interface Cost {
  seconds: number;
  cpu_seconds: number;
  /** The app's RSS when the request started (the peak is measured from there), in MiB. */
  rss_before_mb: number;
  peak_rss_mb: number;
}

/**
 * Starts watching the process; `done()` gives what it cost since (times to 1/100 s; `elapsed`
 * the seconds unrounded, for rates).
 */
export function watchCost(rss: PeakRss): { done(): Cost & { elapsed: number } } {
  rss.reset();
  const before = mebibytes(rss.rss());
  const cpu = cpuSeconds(rss.pid);
  const started = performance.now();
  return {
    done() {
      const seconds = (performance.now() - started) / 1000;
      const cpuUsed = cpuSeconds(rss.pid) - cpu;
      return {
        elapsed: seconds,
        seconds: Math.round(seconds * 100) / 100,
        cpu_seconds: Math.round(cpuUsed * 100) / 100,
        rss_before_mb: before,
        peak_rss_mb: mebibytes(rss.peak()),
      };
    },
  };
}
