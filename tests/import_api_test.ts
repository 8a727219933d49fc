/**
 * `POST /api/patient_data/import`: the dataset as Kaggle and spreadsheets write it, every bad row
 * reported by line, field and value as written, dry runs that store nothing, skip and update.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/csv_writer.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { type ApiResponse, apiTest, type ApiUser } from "./helpers/api.ts";
import { bearerToken, createTestApp, testConfig } from "./helpers/app.ts";
import { DATASET, sharedDataFile, skipWithoutData } from "./helpers/dataset.ts";
import { FIRST_ROW, PASSWORD } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const P = "/api/patient_data";
const CSV = { "Content-Type": "text/csv" };
const HEADER = csvLine(PATIENT_FIELDS);

/** A data row of the dataset's first patient with `id` and any field written otherwise. */
function row(id: number | string, changes: Record<string, string> = {}): string {
  return csvLine(
    PATIENT_FIELDS.map((f) =>
      f === "id" ? String(id) : changes[f] ?? (FIRST_ROW[f] === null ? "N/A" : String(FIRST_ROW[f]))
    ),
  );
}

const upload = (user: ApiUser, csv: string, query = "") =>
  user.api("POST", `${P}/import${query}`, csv, CSV);

/** The problems of an import as `line field value: message` (one string each). */
function problems(res: ApiResponse): string[] {
  return (res.body.errors as { line: number; field: string; value: string; message: string }[])
    .map((e) => `${e.line} ${e.field} ${e.value}: ${e.message}`);
}

/** The rest of an answer with no problems, no differing rows and no ids given. */
const NOTHING_ELSE = {
  errors: [],
  errors_total: 0,
  differences: [],
  differences_total: 0,
  assigned_ids: [],
  assigned_ids_total: 0,
};

/** The answer of an import that stored the whole dataset as new records. */
const WHOLE_DATASET = { inserted: 5110, updated: 0, skipped: 0, dry_run: false, ...NOTHING_ELSE };

const sortedLines = (text: string) => text.split(/\r?\n/).filter((l) => l !== "").sort();

apiTest(
  "the dataset imports whole, and its export gives back the same rows and records",
  async ({ user }) => {
    if (skipWithoutData(DATASET)) return;
    const original = await Deno.readTextFile(sharedDataFile(DATASET)!);
    const dry = await upload(user, original, "?dry_run=true");
    assert.deepEqual(dry.body, { ...WHOLE_DATASET, dry_run: true });
    assert.equal(
      (await user.api("GET", `${P}?per_page=1`)).body.total,
      0,
      "a dry run stores nothing",
    );
    const run = await upload(user, original);
    assert.deepEqual(run.body, WHOLE_DATASET);
    const csv = await user.api("GET", `${P}/export`);
    assert.deepEqual(sortedLines(csv.text), sortedLines(original), "the same 5,111 lines");
    assert.match(
      csv.headers.get("Content-Disposition")!,
      /^attachment; filename="patients-\d{4}-\d\d-\d\d\.csv"$/,
    );
    const json = await user.api("GET", `${P}/export?format=json`);
    assert.equal(json.body.length, 5110);
    const first = json.body.find((r: { id: number }) => r.id === 9046);
    const { created_at: _c, updated_at: _u, ...fields } = first;
    assert.deepEqual(fields, FIRST_ROW);
    const again = await upload(user, original);
    assert.deepEqual([again.body.inserted, again.body.skipped], [0, 5110], "ids already there");
  },
);

apiTest(
  "a BOM, CRLF, columns in reverse order and an empty bmi import like the dataset itself",
  async ({ user }) => {
    if (skipWithoutData(DATASET)) return;
    const original = await Deno.readTextFile(sharedDataFile(DATASET)!);
    const lines = original.split(/\r?\n/).filter((l) => l !== "");
    const reversed = lines.map((line) => {
      const values = line.split(",").reverse();
      return values.map((v) => v === "N/A" ? "" : v).join(",");
    });
    const variant = "\uFEFF" + reversed.join("\r\n") + "\r\n\r\n";
    const run = await upload(user, variant);
    assert.deepEqual(run.body, WHOLE_DATASET);
    const exported = await user.api("GET", `${P}/export`);
    assert.deepEqual(sortedLines(exported.text), sortedLines(original));
  },
);

apiTest(
  "rows without an id get the next free ids, after the user's and the file's highest",
  async ({ user }) => {
    assert.equal((await upload(user, HEADER + row(10))).body.inserted, 1);
    const csv = HEADER + row("", { age: "1" }) + row(7) + row("", { age: "2" }) + row(30) +
      row("", { age: "3" });
    const dry = await upload(user, csv, "?dry_run=true");
    assert.deepEqual([dry.body.inserted, dry.body.skipped], [5, 0]);
    const res = await upload(user, csv);
    assert.deepEqual(res.body, {
      inserted: 5,
      updated: 0,
      skipped: 0,
      dry_run: false,
      ...NOTHING_ELSE,
      assigned_ids: [{ line: 2, id: 31 }, { line: 4, id: 32 }, { line: 6, id: 33 }],
      assigned_ids_total: 3,
    });
    assert.deepEqual(dry.body.assigned_ids, [], "a dry run gives no ids");
    const stored = await user.api("GET", `${P}?sort=id`);
    assert.deepEqual(
      stored.body.items.map((r: { id: number; age: number }) => [r.id, r.age]),
      [[7, FIRST_ROW.age], [10, FIRST_ROW.age], [30, FIRST_ROW.age], [31, 1], [32, 2], [33, 3]],
    );
  },
);

apiTest(
  "every bad row is reported by its line, field and value, and the good ones are stored",
  async ({ user }) => {
    const csv = HEADER +
      row(1) + // line 2: fine
      row(2, { age: "67.5abc" }) + // 3: never coerced
      row(3, { gender: "male", bmi: "N/A" }) + // 4: wrong case (bmi N/A is fine)
      "\n" + // 5: a blank line is skipped
      row(4, { bmi: "" }) + // 6: fine, bmi unknown
      row(5, { smoking_status: "sometimes", avg_glucose_level: "0" }) + // 7: two problems
      "6,Female,40\r\n" + // 8: too few values
      row(1) + // 9: the id again
      '7,"Female,40,0,0,Yes,Private,Urban,80,20,smokes,0\n' + // 10: a quote never closed
      "";
    const res = await upload(user, csv);
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.inserted, res.body.updated, res.body.skipped], [2, 0, 0]);
    const found = problems(res);
    assert.deepEqual(found.slice(0, 6).map((p) => p.split(":")[0]), [
      "3 age 67.5abc",
      "4 gender male",
      "7 avg_glucose_level 0",
      "7 smoking_status sometimes",
      "8  6,Female,40",
      "9 id 1",
    ]);
    assert.match(found[2]!, /above 0/);
    assert.match(found[5]!, /already on line 2/);
    assert.equal(found.length, 7);
    assert.match(found[6]!, /^10 .*never closed/);
    const stored = await user.api("GET", `${P}?sort=id`);
    assert.deepEqual(stored.body.items.map((r: { id: number; bmi: unknown }) => [r.id, r.bmi]), [
      [1, FIRST_ROW.bmi],
      [4, null],
    ]);
  },
);

apiTest(
  "a dry run counts what would happen and stores nothing; update rewrites only what differs",
  async ({ user }) => {
    await upload(user, HEADER + row(1) + row(2));
    const file = HEADER + row(1) + row(2, { age: "70" }) + row(3);
    for (
      const [query, counts] of [
        ["?dry_run=true", [1, 0, 2]],
        ["?dry_run=true&on_conflict=update", [1, 1, 1]],
      ] as const
    ) {
      const res = await upload(user, file, query);
      assert.deepEqual([res.body.inserted, res.body.updated, res.body.skipped], counts, query);
      assert.equal(res.body.dry_run, true);
    }
    assert.equal((await user.api("GET", P)).body.total, 2, "nothing stored by the dry runs");
    const skip = await upload(user, file);
    assert.deepEqual([skip.body.inserted, skip.body.updated, skip.body.skipped], [1, 0, 2]);
    assert.equal(
      (await user.api("GET", `${P}/2`)).body.age,
      FIRST_ROW.age,
      "skipped: kept as it was",
    );
    const update = await upload(user, file, "?on_conflict=update");
    assert.deepEqual([update.body.inserted, update.body.updated, update.body.skipped], [0, 1, 2]);
    assert.equal((await user.api("GET", `${P}/2`)).body.age, 70);
  },
);

apiTest(
  "a file that is not the dataset's table is refused whole, naming the column",
  async ({ user }) => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [HEADER.replace("stroke", "Stroke"), CSV, /"Stroke" should be written "stroke"/],
      [HEADER.replace(",bmi", ""), CSV, /column bmi is missing/],
      [HEADER.replace("\r\n", ",colour\r\n"), CSV, /"colour" is not a field/],
      ["", CSV, /empty/],
      [HEADER + row(1), { "Content-Type": "application/json" }, /as CSV/],
    ];
    for (const [body, headers, detail] of cases) {
      const res = await user.api("POST", `${P}/import`, body, headers);
      assert.equal(res.status, 400, body.slice(0, 40));
      assert.match(res.body.detail, detail);
    }
    for (const query of ["?on_conflict=replace", "?dry_run=yes", "?colour=red"]) {
      assert.equal((await upload(user, HEADER + row(1), query)).status, 400, query);
    }
    assert.equal((await user.api("GET", P)).body.total, 0);
  },
);

Deno.test("a file over IMPORT_MAX_BYTES answers 413 and stores nothing", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-import-limit-" });
  const app = await createTestApp(undefined, testConfig({ dataDir: dir, importMaxBytes: 2000 }));
  try {
    const browser = new TestBrowser(app);
    await browser.register("Ann", "ann@example.org", PASSWORD);
    const token = await bearerToken(app, "ann@example.org");
    const rows = Array.from({ length: 40 }, (_, i) => row(i + 1)).join("");
    // Streamed without a length, and with one: both are stopped.
    for (
      const body of [ReadableStream.from([new TextEncoder().encode(HEADER + rows)]), HEADER + rows]
    ) {
      const res = await app.request(`${P}/import`, {
        method: "POST",
        headers: { ...CSV, Authorization: `Bearer ${token}` },
        body,
      });
      assert.equal(res.status, 413);
      assert.match((await res.json()).detail, /larger than 0\.002 MB/);
    }
    assert.equal(await app.stores.patients.count(1), 0);
  } finally {
    await app.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test(
  "a file sent without a length is imported whole, or refused whole when over the limit",
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "spm-import-stream-" });
    // More rows than one batch (5,000), sent in pieces without a Content-Length.
    const rows = Array.from({ length: 6000 }, (_, i) => row(i + 1)).join("");
    const bytes = new TextEncoder().encode(HEADER + rows);
    const pieces = () =>
      ReadableStream.from(
        Array.from(
          { length: Math.ceil(bytes.length / 7000) },
          (_, i) => bytes.subarray(i * 7000, (i + 1) * 7000),
        ),
      );
    const app = await createTestApp(
      undefined,
      testConfig({ dataDir: dir, importMaxBytes: bytes.length }),
    );
    try {
      const browser = new TestBrowser(app);
      await browser.register("Ann", "ann@example.org", PASSWORD);
      const token = await bearerToken(app, "ann@example.org");
      const send = (body: ReadableStream<Uint8Array>) =>
        app.request(`${P}/import`, {
          method: "POST",
          headers: { ...CSV, Authorization: `Bearer ${token}` },
          body,
        });
      // One byte over: refused before the first batch is stored.
      const over = new Uint8Array(bytes.length + 1);
      over.set(bytes);
      over[bytes.length] = 10;
      const refused = await send(
        ReadableStream.from([over.subarray(0, 5000), over.subarray(5000)]),
      );
      assert.equal(refused.status, 413);
      assert.equal(await app.stores.patients.count(1), 0);
      const res = await send(pieces());
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        inserted: 6000,
        updated: 0,
        skipped: 0,
        dry_run: false,
        ...NOTHING_ELSE,
      });
      assert.equal(await app.stores.patients.count(1), 6000);
    } finally {
      await app.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
