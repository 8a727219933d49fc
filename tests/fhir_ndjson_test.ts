/**
 * Bulk Data output: every NDJSON line is one resource that parses, a file per resource type holds
 * as many lines as the manifest says (the records and the admissions), memory stays flat because
 * the writer waits for its sink, and a cancelled export stops writing at once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Observation, Resource } from "@medplum/fhirtypes";
import {
  exportManifest,
  ndjsonChunks,
  ndjsonStream,
  NdjsonWriter,
  writeNdjson,
} from "../lib/fhir/ndjson.ts";
import {
  admissionObservations,
  conditionResources,
  encounterResource,
  observationResources,
  patientResource,
} from "../lib/fhir/resources.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import { scopeOf, storedRecord, syntheticAdmissions } from "./helpers/fhir_fixtures.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

/** Many small, distinct Observations, made one at a time as they are read. */
async function* observations(count: number, made: { count: number }): AsyncGenerator<Observation> {
  for (let i = 0; i < count; i++) {
    made.count++;
    yield {
      resourceType: "Observation",
      id: `o${i}`,
      status: "final",
      code: { text: i % 1000 === 0 ? 'line\nbreak \u2028 and "quotes"' : "x" },
      valueInteger: i,
    };
  }
}

Deno.test("the dataset's export: one file per type, every line parses, the manifest counts the records and admissions", async () => {
  if (skipWithoutData(DATASET)) return;
  const { patients } = loadDataset()!;
  const scope = scopeOf("plain");
  const records = patients.map((fields) => ({
    record: storedRecord(fields),
    admissions: fields.stroke === 1 ? syntheticAdmissions(fields.id, 2) : [],
  }));
  const builders: Record<string, () => Iterable<Resource>> = {
    Patient: function* () {
      for (const { record } of records) yield patientResource(record, scope);
    },
    Observation: function* () {
      for (const { record, admissions } of records) {
        yield* observationResources(record, scope);
        for (const a of admissions) yield* admissionObservations(a, record.id, scope);
      }
    },
    Condition: function* () {
      for (const { record } of records) yield* conditionResources(record, scope);
    },
    Encounter: function* () {
      for (const { record, admissions } of records) {
        for (const a of admissions) yield encounterResource(a, record.id, scope);
      }
    },
  };
  const dir = await Deno.makeTempDir({ prefix: "fhir-export-" });
  try {
    const output = [];
    for (const [type, build] of Object.entries(builders)) {
      const path = join(dir, `${type}.ndjson`);
      const file = await Deno.open(path, { write: true, create: true, truncate: true });
      const { count, bytes } = await writeNdjson(build(), file.writable);
      assert.equal((await Deno.stat(path)).size, bytes);
      output.push({ type, url: `https://stroke.example.org/fhir/files/${type}.ndjson`, count });
    }
    const manifest = exportManifest({
      transactionTime: new Date("2025-11-03T10:00:00Z"),
      request: "https://stroke.example.org/fhir/$export?registry=reg-7f3a",
      output,
    });
    const counts = Object.fromEntries(manifest.output.map((f) => [f.type, f.count]));
    const admissions = records.reduce((n, r) => n + r.admissions.length, 0);
    assert.equal(counts.Patient, 5110);
    assert.equal(counts.Encounter, admissions);
    assert.equal(
      counts.Condition,
      patients.reduce((n, p) => n + p.hypertension + p.heart_disease + p.stroke, 0),
    );
    for (const file of manifest.output) {
      const lines = (await Deno.readTextFile(join(dir, `${file.type}.ndjson`))).split("\n");
      assert.equal(lines.pop(), "", "the file ends with a line break");
      assert.equal(lines.length, file.count, file.type);
      const parsed = lines.map((line) => JSON.parse(line) as Resource);
      assert.ok(parsed.every((r) => r.resourceType === file.type));
      assert.equal(new Set(parsed.map((r) => r.id)).size, parsed.length, "ids are unique");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writing waits for the sink, so only a chunk's worth of resources is ever held", async () => {
  const made = { count: 0 };
  let received = 0;
  let largest = 0;
  let mostAhead = 0;
  let chunks = 0;
  const sink = new WritableStream<Uint8Array>({
    async write(chunk) {
      chunks++;
      largest = Math.max(largest, chunk.byteLength);
      mostAhead = Math.max(mostAhead, made.count - received);
      const text = new TextDecoder().decode(chunk);
      received += text.split("\n").length - 1;
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  }, { highWaterMark: 1 });
  const chunkChars = 16 * 1024;
  const progress: number[] = [];
  const written = await writeNdjson(observations(200_000, made), sink, {
    chunkChars,
    onProgress: ({ count }) => {
      progress.push(count);
    },
  });
  assert.equal(written.count, 200_000);
  assert.equal(received, 200_000);
  assert.ok(chunks > 100, `${chunks} chunks`);
  assert.ok(largest < chunkChars + 1024, `the largest chunk was ${largest} bytes`);
  // Each chunk holds about 200 of these lines: never more than two chunks' worth were made ahead.
  assert.ok(mostAhead < 600, `${mostAhead} resources were made before the sink took them`);
  assert.equal(progress.at(-1), 200_000);
  assert.ok(progress.every((n, i) => i === 0 || n > progress[i - 1]!));
});

Deno.test("several files fed by one pass each hold one chunk, written as the sink takes them", async () => {
  const chunkChars = 16 * 1024;
  const files = ["a", "b", "c"].map((name) => {
    const seen = { chunks: 0, lines: 0, largest: 0, text: "" };
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        seen.chunks++;
        seen.largest = Math.max(seen.largest, chunk.byteLength);
        const text = new TextDecoder().decode(chunk);
        assert.ok(text.endsWith("\n"), "a chunk holds whole lines");
        seen.lines += text.split("\n").length - 1;
        if (seen.chunks === 1) seen.text = text;
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    }, { highWaterMark: 1 });
    return { name, seen, writer: new NdjsonWriter(sink, { chunkChars }) };
  });
  const made = { count: 0 };
  let i = 0;
  for await (const observation of observations(60_000, made)) {
    const file = files[i++ % 3]!;
    await file.writer.write(observation);
    // What a file holds unwritten is less than a chunk.
    assert.ok(file.writer.written.count - file.seen.lines < 200, "never more than a chunk held");
  }
  for (const { writer, seen } of files) {
    const written = await writer.close();
    assert.equal(written.count, 20_000);
    assert.equal(seen.lines, 20_000);
    assert.ok(seen.chunks > 50, `${seen.chunks} chunks`);
    assert.ok(seen.largest < chunkChars + 1024, `the largest chunk was ${seen.largest} bytes`);
  }
  assert.equal(JSON.parse(files[1]!.seen.text.split("\n")[0]!).id, "o1", "in the order written");

  // An aborted file drops what it held and aborts its sink.
  let aborted: unknown = null;
  const writer = new NdjsonWriter(
    new WritableStream({ abort: (reason) => void (aborted = reason) }),
  );
  await writer.write(patientResource(storedRecord(FIRST_ROW), scopeOf("plain")));
  const cancel = new Error("cancelled");
  await writer.abort(cancel);
  assert.equal(aborted, cancel);
});

Deno.test("a line break or quote inside a value stays inside its line", async () => {
  const made = { count: 0 };
  const text = await new Response(ndjsonStream(observations(2001, made))).text();
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 2001);
  const first = JSON.parse(lines[0]!) as Observation;
  assert.equal(first.code.text, 'line\nbreak \u2028 and "quotes"');
  assert.equal((JSON.parse(lines[2000]!) as Observation).valueInteger, 2000);
});

Deno.test("a file written piece by piece into one reused buffer holds every character as written, long lines too", async () => {
  // The export's sink copies each piece (a database insert) before its write resolves.
  const pieces: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({
    write: (piece) => void pieces.push(piece.slice()),
  });
  const writer = new NdjsonWriter(sink, { chunkChars: 1000, reuse: true });
  const texts = [
    "Zürich — café ✓ 😀 ".repeat(3),
    "x".repeat(30_000),
    "é".repeat(3000),
    "plain",
    "😀".repeat(12_000),
  ];
  const resources: Observation[] = [];
  for (let i = 0; i < 300; i++) {
    resources.push({
      resourceType: "Observation",
      id: `o${i}`,
      status: "final",
      code: { text: texts[i % texts.length]! },
    });
  }
  for (const resource of resources) await writer.write(resource);
  const written = await writer.close();
  const decoder = new TextDecoder();
  const text = pieces.map((piece) => decoder.decode(piece, { stream: true })).join("") +
    decoder.decode();
  assert.equal(written.count, 300);
  assert.equal(written.bytes, new TextEncoder().encode(text).byteLength);
  assert.deepEqual(text.trimEnd().split("\n").map((line) => JSON.parse(line)), resources);
  assert.ok(pieces.length > 100, `${pieces.length} pieces`);
  for (const piece of pieces) assert.equal(piece.at(-1), 10, "every piece ends with a whole line");
});

Deno.test("a cancelled export stops reading records and aborts its file", async () => {
  const made = { count: 0 };
  let finished = false;
  async function* source() {
    try {
      yield* observations(1_000_000, made);
    } finally {
      finished = true;
    }
  }
  const controller = new AbortController();
  let aborted: unknown = null;
  const sink = new WritableStream<Uint8Array>({
    abort(reason) {
      aborted = reason;
    },
  });
  const cancel = new Error("The export was cancelled");
  const writing = writeNdjson(source(), sink, {
    chunkChars: 4096,
    signal: controller.signal,
    onProgress: ({ count }) => {
      if (count > 5000) controller.abort(cancel);
    },
  });
  await assert.rejects(writing, (e) => e === cancel);
  assert.equal(aborted, cancel);
  assert.ok(finished, "the records' reader was closed");
  assert.ok(made.count < 6000, `${made.count} records were read`);

  // A reader that goes away (a client hanging up) closes the records' reader too.
  const gone = { count: 0 };
  const reader = ndjsonStream(observations(1_000_000, gone), { chunkChars: 4096 }).getReader();
  await reader.read();
  await reader.cancel();
  assert.ok(gone.count < 200, `${gone.count} records were read`);
});

Deno.test("the manifest has the Bulk Data 2.0 fields, leaves out empty files and refuses a bad time", async () => {
  const manifest = exportManifest({
    transactionTime: "2025-11-03T11:00:00+01:00",
    request: "https://stroke.example.org/fhir/Patient/$export?_type=Patient,Encounter",
    output: [
      { type: "Patient", url: "https://stroke.example.org/fhir/files/a.ndjson", count: 3 },
      { type: "Encounter", url: "https://stroke.example.org/fhir/files/b.ndjson", count: 0 },
    ],
    error: [{
      type: "OperationOutcome",
      url: "https://stroke.example.org/fhir/files/e.ndjson",
      count: 1,
    }],
  });
  assert.deepEqual(manifest, {
    transactionTime: "2025-11-03T10:00:00.000Z",
    request: "https://stroke.example.org/fhir/Patient/$export?_type=Patient,Encounter",
    requiresAccessToken: true,
    output: [{
      type: "Patient",
      url: "https://stroke.example.org/fhir/files/a.ndjson",
      count: 3,
    }],
    error: [{
      type: "OperationOutcome",
      url: "https://stroke.example.org/fhir/files/e.ndjson",
      count: 1,
    }],
  });
  assert.deepEqual(
    exportManifest({ transactionTime: new Date(0), request: "r", output: [] }).error,
    [],
  );
  assert.throws(
    () => exportManifest({ transactionTime: "yesterday", request: "r", output: [] }),
    /not a date-time/,
  );
  // The chunks of nothing are nothing.
  const none: Uint8Array[] = [];
  for await (const chunk of ndjsonChunks([])) none.push(chunk);
  assert.deepEqual(none, []);
  assert.equal(
    (await writeNdjson(
      [patientResource(storedRecord(FIRST_ROW), scopeOf("plain"))],
      new WritableStream(),
    )).count,
    1,
  );
});
