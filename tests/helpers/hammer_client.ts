/**
 * Run as its own process by the load tests: `clients` loops sending one user's heavy requests
 * (risk, statistics, quality, exports, an import dry run, the dashboard) in turn, each body read
 * whole, until its standard input closes; then prints what it was answered as JSON (see
 * `HammerReport`). Apart from the app's process, its own work never slows the app.
 *
 * Arguments: origin token cookie csv-file clients
 */
import type { HammerReport } from "./heavy_load.ts";

const [origin = "", token = "", cookie = "", csvFile = "", clients = "10"] = Deno.args;
const P = "/api/patient_data";
const csv = await Deno.readTextFile(csvFile);
const api = (path: string, init: RequestInit = {}) => () =>
  fetch(origin + path, {
    ...init,
    headers: { ...init.headers as Record<string, string>, Authorization: `Bearer ${token}` },
  });
const requests: { name: string; send: () => Promise<Response> }[] = [
  { name: "risk", send: api(`${P}/risk`) },
  { name: "stats", send: api(`${P}/stats?compare=reference`) },
  { name: "quality", send: api(`${P}/quality`) },
  { name: "export", send: api(`${P}/export`) },
  { name: "de-identified export", send: api(`${P}/export?deidentify=true&k_min=5`) },
  {
    name: "import dry run",
    send: api(`${P}/import?dry_run=true`, {
      method: "POST",
      headers: { "Content-Type": "text/csv" },
      body: csv,
    }),
  },
  { name: "dashboard", send: () => fetch(`${origin}/dashboard`, { headers: { Cookie: cookie } }) },
];

let running = true;
(async () => {
  for await (const _ of Deno.stdin.readable) { /* runs until the test closes it */ }
  running = false;
})();

const report: HammerReport = { statuses: {}, refusals: [], unexpected: [] };
await Promise.all(Array.from({ length: Number(clients) }, async (_, offset) => {
  for (let i = offset; running; i++) {
    const { name, send } = requests[i % requests.length]!;
    const res = await send();
    const body = await res.text();
    report.statuses[res.status] = (report.statuses[res.status] ?? 0) + 1;
    if (res.status === 429) {
      report.refusals.push({
        retryAfter: res.headers.get("Retry-After"),
        type: res.headers.get("Content-Type") ?? "",
        body: body.slice(0, 2000),
      });
    } else if (res.status !== 200) {
      report.unexpected.push(`${res.status} ${name}: ${body.slice(0, 300)}`);
    }
  }
}));
console.log(JSON.stringify(report));
