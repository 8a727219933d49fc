/** How the benchmarks' reports write numbers and tables (Markdown). */

/** Requests per second: whole above 100, else one or two decimals. */
export function fmtRps(rps: number): string {
  return rps >= 100 ? Math.round(rps).toLocaleString("en-US") : rps.toFixed(rps >= 10 ? 1 : 2);
}

/** Milliseconds to three significant digits or so; "—" when not a number. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  return ms < 10
    ? `${ms.toFixed(2)} ms`
    : ms < 100
    ? `${ms.toFixed(1)} ms`
    : `${Math.round(ms)} ms`;
}

/** Bytes in whole MiB; "—" for none. */
export function fmtMiB(bytes: number | null): string {
  return bytes === null ? "—" : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** Bytes as B below 10 kB, else kB with one decimal (1 kB = 1,000 bytes). */
export function fmtBytes(bytes: number): string {
  return bytes < 10_000
    ? `${Math.round(bytes).toLocaleString("en-US")} B`
    : `${(bytes / 1000).toFixed(1)} kB`;
}

/** A fraction as a percentage (one decimal below 10 %). */
export function fmtPct(value: number): string {
  const pct = value * 100;
  return `${pct >= 10 ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

/** A Markdown table with its columns padded; `right` marks the right-aligned ones. */
export function markdownTable(
  header: string[],
  rows: string[][],
  right: boolean[] = header.map(() => false),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(" | ")
    } |`;
  const rule = `| ${
    widths.map((w, i) => right[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w)).join(" | ")
  } |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
