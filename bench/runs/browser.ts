/** The browser's targets: `/patients` (random mix, full pages) and the inline edit (htmx PUT). */
import { mulberry32, shuffle } from "../../lib/random.ts";
import type { PatientFields } from "../../lib/patient_fields.ts";
import { appTarget, type Bench, BenchFailure, gets, measure } from "../lib/measure.ts";
import type { WrkRequest } from "../lib/wrk.ts";
import type { EmbeddedApp } from "./embedded.ts";

/** `/patients` answers the first queries of the mix to the logged-in browser. */
export async function checkPages(app: EmbeddedApp, mix: readonly string[]) {
  for (const query of mix.slice(0, 5)) {
    const res = await fetch(`${app.child.base}/patients?${query}`, {
      headers: { Cookie: app.sessionCookie },
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status !== 200) throw new BenchFailure(`/patients?${query}: ${res.status}`);
  }
}

export async function measureBrowser(
  bench: Bench,
  app: EmbeddedApp,
  mix: readonly string[],
  patients: readonly PatientFields[],
) {
  await measure(
    bench,
    appTarget(bench, app, {
      id: "patients-random",
      label: "GET /patients?… random mix (browser session, full page)",
      requests: gets(mix.map((q) => `/patients?${q}`)),
      headers: { Cookie: app.sessionCookie },
    }),
  );
  await measure(
    bench,
    appTarget(bench, app, {
      id: "inline-edit",
      label: "PUT /patients/{id} inline edit (htmx, browser session), random ids",
      requests: inlineEdits(bench, patients),
      headers: {
        Cookie: app.sessionCookie,
        Origin: app.child.base,
        "X-CSRF-Token": app.browser.csrf,
        "HX-Request": "true",
        "HX-Current-URL": `${app.child.base}/patients`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
    }),
  );
}

/**
 * The inline edit as htmx sends it: PUT /patients/{id} with the row's form, the records in a
 * seeded random order, each with its glucose moved by up to ±10 %.
 */
function inlineEdits(
  bench: Bench,
  patients: readonly PatientFields[],
): WrkRequest[] {
  const { seed, editRequests } = bench.settings;
  const editIds = shuffle([...patients], mulberry32(seed + 1));
  const editRandom = mulberry32(seed + 2);
  const edits: WrkRequest[] = [];
  for (let n = 0; n < editRequests; n++) {
    const { id, ...fields } = editIds[n % editIds.length]!;
    const glucose = Math.round(fields.avg_glucose_level * (90 + 20 * editRandom())) / 100;
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      form.set(name, value === null ? "" : String(value));
    }
    form.set("avg_glucose_level", String(Math.min(999, Math.max(1, glucose))));
    edits.push({ method: "PUT", path: `/patients/${id}`, body: form.toString() });
  }
  return edits;
}
