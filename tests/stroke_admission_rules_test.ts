/** Admission validation: every rule refused with its field named, offsets normalised to UTC, DST. */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import type { FieldError } from "../lib/errors.ts";
import {
  type Admission,
  ADMISSION_FIELDS,
  admissionCodebook,
  TIME_FIELDS,
} from "../lib/stroke/admission_fields.ts";
import {
  ADMISSION_CSV_COLUMNS,
  admissionCsvLine,
  admissionToJson,
} from "../lib/stroke/admission_json.ts";
import {
  admissionCreateSchema,
  admissionPatchSchema,
  parseAdmissionText,
  validateAdmission,
} from "../lib/stroke/admission_rules.ts";

const now = new Date("2026-11-01T12:00:00Z");

/** A complete, valid admission as JSON (times in London summer time). */
const VALID = {
  stroke_type: "ischaemic",
  last_known_well_at: "2026-10-20T08:30:00+01:00",
  arrival_at: "2026-10-20T10:00:00+01:00",
  imaging_at: "2026-10-20T10:20:00+01:00",
  nihss_arrival: 12,
  thrombolysis_at: "2026-10-20T10:45:00+01:00",
  thrombectomy_at: "2026-10-20T11:30:00+01:00",
  discharge_at: "2026-10-28T15:00:00Z",
  discharge_destination: "home",
  mrs_discharge: 2,
  mrs_90d: null,
};

/** The same admission as stored. */
const STORED: Admission = {
  admission_id: 3,
  stroke_type: "ischaemic",
  last_known_well_at: new Date("2026-10-20T07:30:00Z"),
  arrival_at: new Date("2026-10-20T09:00:00Z"),
  imaging_at: new Date("2026-10-20T09:20:00Z"),
  nihss_arrival: 12,
  thrombolysis_at: new Date("2026-10-20T09:45:00Z"),
  thrombectomy_at: new Date("2026-10-20T10:30:00Z"),
  discharge_at: new Date("2026-10-28T15:00:00Z"),
  discharge_destination: "home",
  mrs_discharge: 2,
  mrs_90d: null,
};

function errorsOf(result: { ok: boolean; errors?: FieldError[] }): FieldError[] {
  assert.ok(!result.ok, "expected the input to be refused");
  return result.errors!;
}

/** The one field a create with `changes` is refused at, and its message. */
function refusedAt(changes: Record<string, unknown>): FieldError {
  const errors = errorsOf(validateAdmission({ ...VALID, ...changes }, "create", { now }));
  assert.equal(errors.length, 1, JSON.stringify(errors));
  return errors[0]!;
}

Deno.test("validateAdmission() stores every time in UTC, whatever offset it was sent with", () => {
  const result = validateAdmission(VALID, "create", { now });
  assert.ok(result.ok);
  assert.equal(result.value.arrival_at.toISOString(), "2026-10-20T09:00:00.000Z");
  assert.equal(result.value.last_known_well_at?.toISOString(), "2026-10-20T07:30:00.000Z");
  assert.equal(result.value.discharge_at?.toISOString(), "2026-10-28T15:00:00.000Z");
  const { admission_id: _id, ...fields } = STORED;
  assert.deepEqual(result.value, fields);
  const newYork = validateAdmission(
    { stroke_type: "TIA", arrival_at: "2026-10-20T05:00:00-04:00" },
    "create",
    { now },
  );
  assert.ok(newYork.ok);
  assert.equal(newYork.value.arrival_at.toISOString(), "2026-10-20T09:00:00.000Z");
});

Deno.test("validateAdmission() needs only stroke type and arrival; what is left out is unknown", () => {
  const result = validateAdmission(
    { stroke_type: "mimic", arrival_at: "2026-10-30T23:00:00Z" },
    "create",
    { now },
  );
  assert.ok(result.ok);
  for (const field of ADMISSION_FIELDS) {
    if (field === "admission_id" || field === "stroke_type" || field === "arrival_at") continue;
    assert.equal(result.value[field], null, field);
  }
  const errors = errorsOf(validateAdmission({}, "create", { now }));
  assert.deepEqual(errors, [
    { field: "stroke_type", message: "Stroke type is required" },
    { field: "arrival_at", message: "Arrival is required" },
  ]);
  assert.deepEqual(refusedAt({ arrival_at: null }), {
    field: "arrival_at",
    message: "Arrival is required",
  });
});

Deno.test("validateAdmission() refuses a date-time without an offset, saying why", () => {
  const error = refusedAt({ arrival_at: "2026-10-20T10:00:00" });
  assert.equal(error.field, "arrival_at");
  assert.match(error.message, /Arrival has no UTC offset/);
  assert.match(error.message, /Z for UTC/);
  const imaging = refusedAt({ imaging_at: "2026-10-20 10:20" });
  assert.equal(imaging.field, "imaging_at");
  assert.match(imaging.message, /no UTC offset/);
});

Deno.test("validateAdmission() refuses date-times of another shape, impossible ones and old ones", () => {
  assert.equal(refusedAt({ imaging_at: "tomorrow" }).field, "imaging_at");
  assert.match(refusedAt({ imaging_at: 1_760_000_000_000 }).message, /UTC offset, such as/);
  assert.deepEqual(refusedAt({ discharge_at: "2026-02-30T10:00:00Z" }), {
    field: "discharge_at",
    message: "Discharge is not a real date and time",
  });
  assert.deepEqual(refusedAt({ last_known_well_at: "1899-12-31T10:00:00Z" }), {
    field: "last_known_well_at",
    message: "Onset (last known well) must be in 1900 or later",
  });
});

Deno.test("validateAdmission() refuses each time in the future, naming it", () => {
  for (const field of TIME_FIELDS) {
    const later = "2026-11-01T12:00:01Z";
    const all = field === "arrival_at" || field === "last_known_well_at"
      ? {
        last_known_well_at: field === "last_known_well_at" ? later : null,
        arrival_at: later,
        imaging_at: null,
        thrombolysis_at: null,
        thrombectomy_at: null,
        discharge_at: null,
        discharge_destination: null,
        mrs_discharge: null,
      }
      : { [field]: later };
    const errors = errorsOf(validateAdmission({ ...VALID, ...all }, "create", { now }));
    assert.ok(
      errors.some((e) => e.field === field && /is in the future/.test(e.message)),
      `${field}: ${JSON.stringify(errors)}`,
    );
  }
  assert.ok(
    validateAdmission({ ...VALID, discharge_at: "2026-11-01T12:00:00Z" }, "create", { now }).ok,
    "now itself is not in the future",
  );
});

Deno.test("validateAdmission() refuses an onset after arrival, at the onset", () => {
  assert.deepEqual(refusedAt({ last_known_well_at: "2026-10-20T09:00:01Z" }), {
    field: "last_known_well_at",
    message: "Onset (last known well) must not be after arrival",
  });
  assert.ok(
    validateAdmission({ ...VALID, last_known_well_at: VALID.arrival_at }, "create", { now }).ok,
  );
});

Deno.test("validateAdmission() refuses imaging, needle, puncture or discharge before arrival, at that field", () => {
  const before = "2026-10-20T08:59:00Z";
  for (const field of ["imaging_at", "thrombolysis_at", "thrombectomy_at", "discharge_at"]) {
    const error = refusedAt({ [field]: before });
    assert.equal(error.field, field);
    assert.match(error.message, /must not be before arrival/);
  }
  assert.ok(validateAdmission({ ...VALID, imaging_at: VALID.arrival_at }, "create", { now }).ok);
});

Deno.test("validateAdmission() refuses died without mRS 6, and mRS 6 without died", () => {
  assert.deepEqual(refusedAt({ discharge_destination: "died", mrs_discharge: 5 }), {
    field: "mrs_discharge",
    message: "A patient who died in hospital has mRS 6 at discharge",
  });
  assert.equal(
    refusedAt({ discharge_destination: "died", mrs_discharge: null }).field,
    "mrs_discharge",
  );
  assert.deepEqual(refusedAt({ discharge_destination: "home", mrs_discharge: 6 }), {
    field: "discharge_destination",
    message: 'mRS 6 at discharge means the patient died: the discharge destination must be "died"',
  });
  assert.ok(
    validateAdmission({ ...VALID, discharge_destination: "died", mrs_discharge: 6 }, "create", {
      now,
    }).ok,
  );
});

Deno.test("validateAdmission() allows only mRS 6 at 90 days after a death in hospital, not the reverse", () => {
  const died = { discharge_destination: "died", mrs_discharge: 6 };
  assert.deepEqual(refusedAt({ ...died, mrs_90d: 4 }), {
    field: "mrs_90d",
    message: "The patient died in hospital: mRS at 90 days can only be 6",
  });
  assert.ok(validateAdmission({ ...VALID, ...died, mrs_90d: 6 }, "create", { now }).ok);
  assert.ok(validateAdmission({ ...VALID, ...died, mrs_90d: null }, "create", { now }).ok);
  // Discharged alive, died later: accepted.
  assert.ok(validateAdmission({ ...VALID, mrs_90d: 6 }, "create", { now }).ok);
});

Deno.test("validateAdmission() refuses scores out of range or not whole, and unknown codes", () => {
  for (const value of [43, -1, 4.5, "5"]) {
    assert.deepEqual(refusedAt({ nihss_arrival: value }), {
      field: "nihss_arrival",
      message: "NIHSS on arrival must be a whole number from 0 to 42",
    });
  }
  assert.ok(validateAdmission({ ...VALID, nihss_arrival: 42 }, "create", { now }).ok);
  assert.ok(validateAdmission({ ...VALID, nihss_arrival: 0 }, "create", { now }).ok);
  assert.deepEqual(refusedAt({ mrs_discharge: 7 }), {
    field: "mrs_discharge",
    message: "mRS at discharge must be a whole number from 0 to 6",
  });
  assert.equal(refusedAt({ mrs_90d: -1 }).field, "mrs_90d");
  assert.deepEqual(refusedAt({ stroke_type: "stroke" }), {
    field: "stroke_type",
    message: 'Stroke type must be "ischaemic", "haemorrhagic", "TIA" or "mimic"',
  });
  assert.equal(refusedAt({ discharge_destination: "hospice" }).field, "discharge_destination");
});

Deno.test("validateAdmission() accepts thrombolysis of a haemorrhagic stroke (data quality flags it)", () => {
  assert.ok(validateAdmission({ ...VALID, stroke_type: "haemorrhagic" }, "create", { now }).ok);
});

Deno.test("validateAdmission() refuses unknown fields, server fields, operators and the id on create", () => {
  const errors = errorsOf(
    validateAdmission(
      { ...VALID, colour: "red", revision: "x", $gt: "", admission_id: 4 },
      "create",
      { now },
    ),
  );
  assert.deepEqual(errors, [
    { field: "admission_id", message: "Admission ID is assigned by the app" },
    { field: "colour", message: 'Unknown field "colour"' },
    { field: "revision", message: "revision is kept by the server and cannot be set" },
    { field: "$gt", message: 'Field names may not contain "$" or "."' },
  ]);
  assert.deepEqual(errorsOf(validateAdmission([VALID], "create", { now })), [
    { field: "", message: "Send the admission as a JSON object" },
  ]);
});

Deno.test("validateAdmission() reports every problem of a body at once", () => {
  const errors = errorsOf(
    validateAdmission(
      {
        ...VALID,
        imaging_at: "2026-10-20T08:00:00Z",
        nihss_arrival: 50,
        discharge_destination: "home",
        mrs_discharge: 6,
        extra: 1,
      },
      "create",
      { now },
    ),
  );
  assert.deepEqual(errors.map((e) => e.field), [
    "imaging_at",
    "nihss_arrival",
    "discharge_destination",
    "extra",
  ]);
});

Deno.test("validateAdmission() on replace keeps the id unchanged and refuses another", () => {
  assert.ok(
    validateAdmission({ ...VALID, admission_id: 3 }, "replace", { now, current: STORED }).ok,
  );
  assert.deepEqual(
    errorsOf(validateAdmission({ ...VALID, admission_id: 4 }, "replace", { now, current: STORED })),
    [{ field: "admission_id", message: "Admission ID cannot be changed (it is 3)" }],
  );
  const replaced = validateAdmission(
    { stroke_type: "TIA", arrival_at: "2026-10-21T10:00:00Z" },
    "replace",
    { now, current: STORED },
  );
  assert.ok(replaced.ok);
  assert.equal(replaced.value.thrombolysis_at, null, "a field left out of a PUT is unknown");
});

Deno.test("validateAdmission() on patch returns the changes and checks them against the stored admission", () => {
  const patch = validateAdmission(
    { mrs_90d: 1, nihss_arrival: null },
    "patch",
    { now, current: STORED },
  );
  assert.ok(patch.ok);
  assert.deepEqual(patch.value, { mrs_90d: 1, nihss_arrival: null });
  // Moving arrival after the stored imaging is told about arrival, the field sent.
  const moved = errorsOf(
    validateAdmission({ arrival_at: "2026-10-20T09:30:00Z" }, "patch", { now, current: STORED }),
  );
  assert.deepEqual(moved.map((e) => e.field), ["arrival_at"]);
  assert.match(moved[0]!.message, /must not be before arrival/);
  const imaging = errorsOf(
    validateAdmission({ imaging_at: "2026-10-20T08:00:00Z" }, "patch", { now, current: STORED }),
  );
  assert.deepEqual(imaging.map((e) => e.field), ["imaging_at"]);
  const died = errorsOf(
    validateAdmission({ discharge_destination: "died" }, "patch", { now, current: STORED }),
  );
  assert.deepEqual(died, [{
    field: "discharge_destination",
    message: "A patient who died in hospital has mRS 6 at discharge",
  }]);
  assert.deepEqual(errorsOf(validateAdmission({}, "patch", { now, current: STORED })), [
    { field: "", message: "Send at least one field to change" },
  ]);
  assert.equal(
    errorsOf(validateAdmission({ arrival_at: null }, "patch", { now, current: STORED }))[0]!.field,
    "arrival_at",
  );
});

Deno.test("validateAdmission() reads a form's wall-clock times in the user's zone, DST included", () => {
  const form = { stroke_type: "ischaemic", arrival_at: "2026-10-25T01:30" };
  const summer = validateAdmission(form, "create", { now, localZone: "Europe/London" });
  assert.ok(summer.ok);
  assert.equal(summer.value.arrival_at.toISOString(), "2026-10-25T00:30:00.000Z");
  const winter = validateAdmission(form, "create", {
    now,
    localZone: "Europe/London",
    offsets: { arrival_at: "+00:00" },
  });
  assert.ok(winter.ok);
  assert.equal(winter.value.arrival_at.toISOString(), "2026-10-25T01:30:00.000Z");
  const newYork = validateAdmission({ ...form, arrival_at: "2026-11-01T01:30" }, "create", {
    now,
    localZone: "America/New_York",
    offsets: { arrival_at: "-05:00" },
  });
  assert.ok(newYork.ok);
  assert.equal(newYork.value.arrival_at.toISOString(), "2026-11-01T06:30:00.000Z");

  const gap = errorsOf(
    validateAdmission({ ...form, arrival_at: "2026-03-29T01:30" }, "create", {
      now,
      localZone: "Europe/London",
    }),
  );
  assert.equal(gap.length, 1);
  assert.equal(gap[0]!.field, "arrival_at");
  assert.match(gap[0]!.message, /^Arrival: 2026-03-29 01:30 did not happen in Europe\/London/);
  const wrongOffset = errorsOf(
    validateAdmission(form, "create", {
      now,
      localZone: "Europe/London",
      offsets: { arrival_at: "+05:00" },
    }),
  );
  assert.equal(wrongOffset[0]!.field, "arrival_at");
  // JSON with an offset is read as sent, even with a zone.
  const json = validateAdmission(
    { ...form, arrival_at: "2026-10-25T01:30:00+00:00" },
    "create",
    { now, localZone: "America/New_York" },
  );
  assert.ok(json.ok);
  assert.equal(json.value.arrival_at.toISOString(), "2026-10-25T01:30:00.000Z");
});

Deno.test("parseAdmissionText() turns empty cells into unknown values and numbers into numbers", () => {
  const input = parseAdmissionText({
    admission_id: "",
    stroke_type: "ischaemic",
    arrival_at: " 2026-10-20T10:00:00+01:00 ",
    imaging_at: "",
    nihss_arrival: "7",
    mrs_discharge: "three",
    mrs_90d: "",
  });
  assert.deepEqual(input, {
    stroke_type: "ischaemic",
    arrival_at: "2026-10-20T10:00:00+01:00",
    imaging_at: null,
    nihss_arrival: 7,
    mrs_discharge: "three",
    mrs_90d: null,
  });
  assert.deepEqual(errorsOf(validateAdmission(input, "create", { now })), [
    { field: "mrs_discharge", message: "mRS at discharge must be a whole number from 0 to 6" },
  ]);
  assert.deepEqual(
    errorsOf(validateAdmission(parseAdmissionText({ stroke_type: "", arrival_at: "" }), "create", {
      now,
    })).map((e) => e.message),
    ["Stroke type is required", "Arrival is required"],
  );
});

Deno.test("The schemas and the codebook come from one rules table", () => {
  const create = z.toJSONSchema(admissionCreateSchema) as {
    required: string[];
    properties: Record<string, { anyOf?: unknown[]; format?: string }>;
    additionalProperties: boolean;
  };
  assert.deepEqual(create.required.sort(), ["arrival_at", "stroke_type"]);
  assert.equal(create.additionalProperties, false);
  assert.equal(create.properties.arrival_at!.format, "date-time");
  const patch = z.toJSONSchema(admissionPatchSchema) as { required?: string[] };
  assert.equal(patch.required, undefined);
  const codebook = admissionCodebook();
  assert.deepEqual(codebook.map((e) => e.field), [...ADMISSION_FIELDS]);
  const nihss = codebook.find((e) => e.field === "nihss_arrival")!;
  assert.deepEqual([nihss.min, nihss.max, nihss.type, nihss.nullable], [0, 42, "integer", true]);
  const mrs = codebook.find((e) => e.field === "mrs_90d")!;
  assert.equal(mrs.allowed?.find((a) => a.value === 6)?.label, "Dead");
  assert.equal(codebook.find((e) => e.field === "arrival_at")!.nullable, false);
});

Deno.test("admissionToJson() and admissionCsvLine() write times with the zone's offset, and read back", () => {
  const json = admissionToJson(STORED, "Europe/London");
  assert.equal(json.arrival_at, "2026-10-20T10:00:00+01:00");
  assert.equal(json.discharge_at, "2026-10-28T15:00:00+00:00", "after the clocks went back");
  assert.equal(json.admission_id, 3);
  assert.equal(json.mrs_90d, null);
  assert.deepEqual(Object.keys(json), [...ADMISSION_FIELDS]);
  const { admission_id: _id, ...body } = json;
  const back = validateAdmission(body, "create", { now });
  assert.ok(back.ok);
  const { admission_id: _stored, ...fields } = STORED;
  assert.deepEqual(back.value, fields);

  const line = admissionCsvLine(17, STORED, "America/New_York");
  const [cells] = parse(line) as string[][];
  assert.deepEqual(cells!.slice(0, 5), [
    "17",
    "3",
    "ischaemic",
    "2026-10-20T03:30:00-04:00",
    "2026-10-20T05:00:00-04:00",
  ]);
  assert.equal(cells!.length, ADMISSION_CSV_COLUMNS.length);
  assert.equal(cells!.at(-1), "", "an unknown value is an empty cell");
  const row = Object.fromEntries(ADMISSION_CSV_COLUMNS.map((c, i) => [c, cells![i]!]));
  const { patient_id: _p, admission_id: _a, ...text } = row;
  const fromCsv = validateAdmission(parseAdmissionText(text), "create", { now });
  assert.ok(fromCsv.ok);
  assert.deepEqual(fromCsv.value, fields);
});
