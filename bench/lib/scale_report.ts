/**
 * `deno task bench-scale`'s report: <name>.md and <name>.json (SCALE_OUT, SCALE_NAME), rewritten
 * after every size so that a run cut short keeps the others; with SCALE_APPEND=1 after the
 * file's earlier rows, and with SCALE_MERGE's files' rows after this run's.
 */
import type { QualityResult } from "../runs/quality_indicators.ts";
import type { RunResult } from "../runs/scale_size.ts";
import { markdownTable } from "./report.ts";
import type { ScaleSettings } from "./settings.ts";

/** One `deno task bench-scale` whose rows the report holds. */
interface Invocation {
  started: Date | string;
  machine: string;
  app_v8_flags: string | null;
  queries: number;
  mongo_queries: number;
}

interface ReportFile {
  invocations: Invocation[];
  results: RunResult[];
}

export class ScaleReport {
  /** This run's rows. */
  readonly results: RunResult[] = [];
  /** This run's timing of the quality indicators (none when not measured). */
  quality: QualityResult | null = null;

  private constructor(
    private readonly settings: ScaleSettings,
    private readonly thisRun: Invocation,
    private readonly earlier: ReportFile,
    private readonly merged: ReportFile,
  ) {}

  /** The report of this run, started at `started` on `machine`, with the earlier files read. */
  static async open(settings: ScaleSettings, machine: string, started: Date): Promise<ScaleReport> {
    const { out, name, queries, mongoQueries } = settings;
    const earlier: ReportFile = { invocations: [], results: [] };
    if (settings.append && out !== "-") {
      // Earlier runs of the same file (e.g. FerretDB, or other V8 flags, measured separately).
      try {
        const file = JSON.parse(await Deno.readTextFile(`${out}/${name}.json`));
        earlier.invocations.push(
          ...(file.invocations ?? [{
            started: file.started,
            machine: file.machine,
            app_v8_flags: file.app_v8_flags ?? null,
            queries: file.results[0]?.list.cold.requests ?? queries,
            mongo_queries: mongoQueries,
          }]),
        );
        earlier.results.push(
          ...file.results.map((r: RunResult) => ({ ...r, app_v8_flags: r.app_v8_flags ?? null })),
        );
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    // Runs kept in other files (SCALE_MERGE, comma-separated), put after this one's.
    const merged: ReportFile = { invocations: [], results: [] };
    for (const file of settings.merge) {
      const other = JSON.parse(await Deno.readTextFile(file));
      merged.invocations.push(...other.invocations);
      merged.results.push(...other.results);
    }
    const thisRun: Invocation = {
      started,
      machine,
      app_v8_flags: settings.appV8Flags,
      queries,
      mongo_queries: mongoQueries,
    };
    return new ScaleReport(settings, thisRun, earlier, merged);
  }

  /** Writes the report of every run so far (and prints it when `print`). */
  async save(print: boolean): Promise<void> {
    const { out, name } = this.settings;
    const invocations = [
      ...this.earlier.invocations,
      ...(this.results.length ? [this.thisRun] : []),
      ...this.merged.invocations,
    ];
    const rows = [...this.earlier.results, ...this.results, ...this.merged.results];
    const report = [
      `# Scale benchmark`,
      "",
      ...invocations.map((i) => {
        const at = new Date(i.started).toISOString();
        return `- Run ${at} by \`deno task bench-scale\` (bench/scale.ts) on ${i.machine}.`;
      }),
      "",
      method(this.settings),
      "",
      table(rows),
      "",
      ...goals(rows),
      "",
      ...qualityLines(this.quality),
    ].join("\n");
    if (print) console.log(`\n${report}`);
    if (out !== "-") {
      await Deno.mkdir(out, { recursive: true });
      await Deno.writeTextFile(`${out}/${name}.md`, report);
      await Deno.writeTextFile(
        `${out}/${name}.json`,
        `${JSON.stringify({ invocations, results: rows, quality: this.quality }, null, 2)}\n`,
      );
      console.error(`Wrote ${out}/${name}.md and ${name}.json`);
    }
  }
}

/** How the rows were measured, as the report says it. */
function method({ queries, mongoQueries, concurrent }: ScaleSettings): string {
  return [
    "Each row: a fresh app process and store, one user seeded with that many synthetic records",
    "(`scripts/seed.ts`), measured over HTTP on loopback. List: " + queries + " different random",
    "queries (sort, filters, page size, page; " + mongoQueries + " on FerretDB) one at a time",
    'with nothing cached ("cold"), the same again at once ("warm": the embedded store\'s read',
    "cache), then another set from " + concurrent + " clients at once (nothing cached). Count:",
    "the list's total for no filter and two values of each categorical field, checked against",
    "the seeder's counts and the database's own count. Export: the whole CSV, on a freshly",
    "started app, with another user's list request sent 1 s into it; peak RSS is the app's",
    "VmHWM, reset before. FHIR: a Bulk Data export of the registry's patients (`GET",
    "/fhir/$export?_type=Patient`, polled as `Retry-After` says) on the same fresh app, from the",
    "kick-off to the manifest, then its file downloaded and its lines counted. Import: as many",
    "new rows as the user has, uploaded as one CSV to the import API (sent without a length, as",
    "a stream), while another user (5,000 records of their own) lists, one request after",
    "another, 1,000 different queries in turn (more than the read cache holds), timed idle (400",
    "requests just before, after 200 not timed) and during the import. CPU is the app's user +",
    "system time meanwhile. Timings are from a shared 2-core machine with other work running:",
    "noisy.",
  ].join(" ");
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => n >= 100 ? fmt(n) : fmt(n, 1);
const yes = (ok: boolean) => ok ? "yes" : "**NO**";
const allExact = (r: RunResult) =>
  r.count.exact && r.stats.exact && r.export.exact && r.import.exact &&
  (r.fhir_export?.exact ?? true);
/** "before → peak MB" (the peak alone where the start was not measured). */
const rssRise = (before: number, peak: number) =>
  `${before ? `${fmt(before)} → ` : ""}${fmt(peak)} MB`;

/** Another user's lists around the import (rows of earlier runs may not have them). */
function otherLists(r: RunResult): string {
  const lists = r.import.other_user_lists;
  if (!lists) return "—";
  const { idle, during_import: during } = lists;
  return `${ms(idle.p50)} / ${ms(idle.p99)} → ${ms(during.p50)} / ${ms(during.p99)} ms ` +
    `(${fmt(lists.p99_ratio, 1)}×)`;
}

function table(results: RunResult[]): string {
  const head = [
    "store",
    "records",
    "seed",
    "list p50 / p99 (cold)",
    "list p50 / p99 (4 clients)",
    "list p50 (warm)",
    "count p50 / max",
    "totals exact",
    "stats",
    "export 1×",
    "export RSS: before → peak",
    "list during export",
    "import N rows",
    "import RSS: before → peak",
    "another user's list p50 / p99: idle → during import",
    "FHIR Bulk Data export of the patients: resources, time, RSS before → peak",
  ];
  const rows = results.map((r) => [
    (r.backend === "embedded" ? "embedded" : "FerretDB") +
    (r.app_v8_flags ? ` (app: ${r.app_v8_flags})` : ""),
    fmt(r.size),
    `${fmt(r.seed.seconds, 1)} s`,
    `${ms(r.list.cold.p50)} / ${ms(r.list.cold.p99)} ms`,
    `${ms(r.list.concurrent.p50)} / ${ms(r.list.concurrent.p99)} ms`,
    `${ms(r.list.warm.p50)} ms`,
    `${ms(r.count.p50)} / ${ms(r.count.max)} ms`,
    yes(allExact(r)),
    `${ms(r.stats.first_ms)} ms`,
    `${fmt(r.export.seconds, 1)} s (${fmt(r.export.cpu_seconds, 1)} s CPU)`,
    rssRise(r.export.rss_before_mb, r.export.peak_rss_mb),
    r.export.list_during_export_ms === null ? "—" : `${ms(r.export.list_during_export_ms)} ms`,
    `${fmt(r.import.seconds, 1)} s (${fmt(r.import.cpu_seconds, 1)} s CPU)`,
    rssRise(r.import.rss_before_mb, r.import.peak_rss_mb),
    otherLists(r),
    r.fhir_export
      ? `${fmt(Object.values(r.fhir_export.resources).reduce((a, b) => a + b, 0))}, ` +
        `${fmt(r.fhir_export.seconds, 1)} s (${fmt(r.fhir_export.cpu_seconds, 1)} s CPU), ` +
        rssRise(r.fhir_export.rss_before_mb, r.fhir_export.peak_rss_mb)
      : "—",
  ]);
  return markdownTable(head, rows);
}

/** How much more a FHIR export of twice the patients may add to the app's RSS and count as flat. */
const FLAT_SLACK_MB = 32;

/** The goals at 1M records on the embedded store, met or not. */
function goals(results: RunResult[]): string[] {
  const lines: string[] = [];
  const met = (ok: boolean) => ok ? "met" : "**not met**";
  for (const r of results) {
    if (r.backend !== "embedded" || r.size !== 1_000_000) continue;
    if (r.app_v8_flags) lines.push(`With the app's V8 flags ${r.app_v8_flags}:`);
    else lines.push("With Deno's default V8 settings:");
    lines.push(
      `- list p50 under 50 ms at 1M: ${r.list.cold.p50} ms cold → ${met(r.list.cold.p50 < 50)}`,
      `- exact totals (list total, database count, stats, export rows, import): ${
        met(allExact(r))
      }`,
      `- export of 1M streamed with RSS under 200 MB: ${r.export.peak_rss_mb} MB → ${
        met(r.export.peak_rss_mb < 200)
      }`,
      `- import of 1M rows under 60 s: ${r.import.seconds} s → ${
        met(r.import.seconds < 60 && r.import.exact)
      }`,
    );
    if (r.fhir_export) {
      // Flat memory: what the export adds does not grow with its size. The half-size run's rise
      // holds the bounded parts (page caches filled, V8's young generation); doubling the
      // patients may add a little to it, not another export's worth.
      const rise = r.fhir_export.peak_rss_mb - r.fhir_export.rss_before_mb;
      const half = results.find((h) =>
        h.backend === r.backend && h.size === r.size / 2 && h.fhir_export
      )?.fhir_export;
      const halfRise = half ? half.peak_rss_mb - half.rss_before_mb : null;
      lines.push(
        `- FHIR Bulk Data export of 1M patients with flat memory (its rise at most ` +
          `${FLAT_SLACK_MB} MB above the rise at 500k): ${r.fhir_export.rss_before_mb} → ` +
          `${r.fhir_export.peak_rss_mb} MB (+${fmt(rise, 1)}), at 500k ${
            halfRise === null ? "not measured" : `+${fmt(halfRise, 1)}`
          } → ${
            halfRise === null
              ? "not judged"
              : met(rise <= halfRise + FLAT_SLACK_MB && r.fhir_export.exact)
          }`,
      );
    }
    const lists = r.import.other_user_lists;
    if (lists) {
      lines.push(
        `- another user's list p99 during the import at most 2× idle: ${lists.idle.p99} → ` +
          `${lists.during_import.p99} ms (${fmt(lists.p99_ratio, 1)}×) → ${
            met(lists.p99_ratio <= 2)
          }`,
      );
    }
  }
  return lines;
}

/** The quality indicators' timing, and its goal (under 2 s for a million admissions). */
function qualityLines(quality: QualityResult | null): string[] {
  if (!quality) return [];
  const worst = Math.max(...quality.runs.map((r) => r.seconds));
  return [
    "## Quality indicators",
    "",
    `Over ${fmt(quality.admissions)} synthetic admissions of stroke patients, fed one row at a ` +
    "time to the streaming counter as a database cursor hands them over (`Date`s as the MongoDB " +
    "driver gives them, or epoch milliseconds), in this process:",
    "",
    markdownTable(
      ["rows with", "time", "CPU", "admissions/s"],
      quality.runs.map((r) => [
        r.rows,
        `${fmt(r.seconds, 2)} s`,
        `${fmt(r.cpu_seconds, 2)} s`,
        fmt(r.admissions_per_s),
      ]),
    ),
    "",
    `- every run gave the same indicators: ${quality.same_answers ? "yes" : "**NO**"}`,
    quality.admissions >= 1_000_000
      ? `- a million admissions in under 2 s: slowest run ${fmt(worst, 2)} s → ${
        worst < 2 && quality.same_answers ? "met" : "**not met**"
      }`
      : "- (the goal is for a million admissions: SCALE_QUALITY_ADMISSIONS was lower)",
    "",
  ];
}
