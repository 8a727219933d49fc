/** validatePatient() and parsePatientText(): the field table of the spec, and the real dataset. */
import assert from "node:assert/strict";
import {
  FIELD_LABELS,
  MAX_PATIENT_ID,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
  SERVER_FIELDS,
} from "../lib/patient_fields.ts";
import {
  parsePatientText,
  type Validated,
  validatePatient,
  type ValidationMode,
} from "../lib/patient_validation.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const ROW: PatientFields = { ...FIRST_ROW };
const { id: _, ...FIELDS } = ROW;

/** validatePatient() in any mode (its overloads take one mode at a time). */
function validate(
  input: unknown,
  mode: ValidationMode,
  currentId?: number,
): Validated<object> {
  if (mode === "patch") return validatePatient(input, mode, currentId);
  return mode === "create"
    ? validatePatient(input, mode, currentId)
    : validatePatient(input, mode, currentId);
}

/** The errors of a validation, none when it passed. */
function errorsOf(input: unknown, mode: ValidationMode, currentId?: number) {
  const result = validate(input, mode, currentId);
  return result.ok ? [] : result.errors;
}

/** The fields a validation refuses, in the order reported. */
function badFields(input: unknown, mode: ValidationMode, currentId?: number): string[] {
  return errorsOf(input, mode, currentId).map((e) => e.field);
}

const FLAG = { good: [0, 1], bad: [2, -1, 0.5, "1", true, false, null, { $gt: 0 }] };
const NOT_TEXT = [1, true, null, ["Yes"], { $ne: "" }];

/** Allowed and refused values of every field, from the spec's table. */
const CASES: Record<PatientField, { good: unknown[]; bad: unknown[] }> = {
  id: {
    good: [1, 9046, MAX_PATIENT_ID],
    bad: [0, -1, 1.5, MAX_PATIENT_ID + 1, "5", null, true, { $gt: 0 }],
  },
  gender: {
    good: ["Male", "Female", "Other"],
    bad: ["male", "FEMALE", "M", " Male", "", ...NOT_TEXT],
  },
  age: {
    good: [0.08, 0.01, 1, 67, 119.99, 120],
    bad: [0, -0.08, 120.01, 121, "67", NaN, Infinity, null, { $gt: 0 }],
  },
  hypertension: FLAG,
  heart_disease: FLAG,
  ever_married: { good: ["Yes", "No"], bad: ["yes", "NO", "Y", "", ...NOT_TEXT] },
  work_type: {
    good: ["children", "Govt_job", "Never_worked", "Private", "Self-employed"],
    bad: ["Children", "govt_job", "Self-Employed", "self-employed", "private", ...NOT_TEXT],
  },
  Residence_type: { good: ["Rural", "Urban"], bad: ["rural", "URBAN", "City", ...NOT_TEXT] },
  avg_glucose_level: {
    good: [0.01, 55.12, 228.69, 1000],
    bad: [0, -5, 1000.01, "100", null, Infinity, { $lt: 1 }],
  },
  bmi: {
    good: [5, 10.3, 36.6, 150, null],
    bad: [4.99, 0, 150.1, "N/A", "", "30", { $exists: true }],
  },
  smoking_status: {
    good: ["formerly smoked", "never smoked", "smokes", "Unknown"],
    bad: ["Smokes", "unknown", "never_smoked", "Never smoked", ...NOT_TEXT],
  },
  stroke: FLAG,
};

for (const field of PATIENT_FIELDS) {
  const { good, bad } = CASES[field];
  Deno.test(`validatePatient() accepts every allowed ${field} and refuses the others by name`, () => {
    for (const value of good) {
      for (const mode of ["create", "replace"] as const) {
        const result = validate({ ...ROW, [field]: value }, mode);
        assert.ok(result.ok, `${mode} ${field}=${JSON.stringify(value)}`);
        assert.equal((result.value as Record<string, unknown>)[field], value);
      }
      if (field !== "id") {
        assert.deepEqual(validatePatient({ [field]: value }, "patch"), {
          ok: true,
          value: { [field]: value },
        });
      }
    }
    for (const value of bad) {
      const inputs = { create: ROW, replace: FIELDS, patch: field === "id" ? null : {} };
      for (const [mode, rest] of Object.entries(inputs) as [ValidationMode, object | null][]) {
        if (!rest) continue;
        const errors = errorsOf({ ...rest, [field]: value }, mode);
        const shown = `${mode} ${field}=${JSON.stringify(value)}: ${JSON.stringify(errors)}`;
        assert.deepEqual(errors.map((e) => e.field), [field], shown);
        assert.ok(errors[0]!.message.startsWith(`${FIELD_LABELS[field]} must be`), shown);
      }
    }
  });
}

Deno.test('validatePatient() refuses "age": "67" as text in JSON but parsePatientText() reads it', () => {
  assert.deepEqual(badFields({ ...ROW, age: "67" }, "create"), ["age"]);
  assert.ok(validatePatient(parsePatientText({ ...textOf(ROW), age: "67" }), "create").ok);
});

Deno.test('validatePatient() reports every missing field as "<Label> is required"', () => {
  for (const mode of ["create", "replace"] as const) {
    const expected = PATIENT_FIELDS.filter((f) => f !== "id").map((field) => ({
      field,
      message: `${FIELD_LABELS[field]} is required`,
    }));
    assert.deepEqual(errorsOf({}, mode), expected);
  }
  const { bmi: _bmi, stroke: _stroke, ...withoutTwo } = ROW;
  assert.deepEqual(errorsOf(withoutTwo, "create"), [
    { field: "bmi", message: "BMI is required" },
    { field: "stroke", message: "Stroke is required" },
  ]);
});

Deno.test("validatePatient() leaves the id optional on create and keeps it when given", () => {
  assert.deepEqual(validatePatient(FIELDS, "create"), { ok: true, value: FIELDS });
  assert.deepEqual(validatePatient(ROW, "create"), { ok: true, value: ROW });
  assert.deepEqual(validatePatient(ROW, "replace", 9046), { ok: true, value: ROW });
});

Deno.test("validatePatient() refuses unknown fields by name, even in otherwise valid input", () => {
  for (const mode of ["create", "replace", "patch"] as const) {
    const input = { ...ROW, Age: 5, residence_type: "Urban", notes: "x" };
    assert.deepEqual(errorsOf(input, mode), [
      { field: "Age", message: 'Unknown field "Age"' },
      { field: "residence_type", message: 'Unknown field "residence_type"' },
      { field: "notes", message: 'Unknown field "notes"' },
    ]);
  }
  const proto = JSON.parse('{"age": 5, "__proto__": {"age": 1}}');
  assert.deepEqual(badFields(proto, "patch"), ["__proto__"]);
});

Deno.test("validatePatient() refuses the fields the server keeps", () => {
  for (const key of SERVER_FIELDS) {
    for (const mode of ["create", "replace", "patch"] as const) {
      const message = `${key} is kept by the server and cannot be set`;
      assert.deepEqual(errorsOf({ ...ROW, [key]: 1 }, mode), [{ field: key, message }]);
    }
  }
});

Deno.test('validatePatient() refuses field names with "$" or "."', () => {
  for (const key of ["$gt", "$where", "$set", "age.$", "a.b", "bmi."]) {
    for (const mode of ["create", "patch"] as const) {
      const message = 'Field names may not contain "$" or "."';
      assert.deepEqual(errorsOf({ ...ROW, [key]: 1 }, mode), [{ field: key, message }]);
    }
  }
});

Deno.test("validatePatient() refuses operator objects as values", () => {
  const input = { ...ROW, age: { $gt: 0 }, gender: { $ne: "" }, id: { $gt: 0 }, bmi: { $in: [] } };
  assert.deepEqual(badFields(input, "create"), ["id", "gender", "age", "bmi"]);
  const patch = { stroke: { $gte: 0 }, smoking_status: { $regex: ".*" } };
  assert.deepEqual(badFields(patch, "patch"), ["smoking_status", "stroke"]);
});

Deno.test("validatePatient() refuses a changed id when the current id is given", () => {
  const message = "Patient ID cannot be changed (it is 9046)";
  for (const mode of ["replace", "patch"] as const) {
    assert.deepEqual(errorsOf({ ...ROW, id: 9047 }, mode, 9046), [{ field: "id", message }]);
    assert.ok(validate({ ...ROW, id: 9046 }, mode, 9046).ok);
    assert.ok(validate(FIELDS, mode, 9046).ok);
  }
  assert.deepEqual(validatePatient({ id: 9046, age: 5 }, "patch", 9046), {
    ok: true,
    value: { age: 5 },
  });
  assert.deepEqual(badFields({ ...FIELDS, id: "9046" }, "replace", 9046), ["id"]);
});

Deno.test("validatePatient() refuses an empty patch", () => {
  const expected = [{ field: "", message: "Send at least one field to change" }];
  assert.deepEqual(errorsOf({}, "patch"), expected);
  assert.deepEqual(errorsOf({ id: 9046 }, "patch", 9046), expected);
});

Deno.test("validatePatient() refuses input that is not an object", () => {
  for (const input of [null, undefined, [], [ROW], "x", 5, true]) {
    for (const mode of ["create", "patch"] as const) {
      assert.deepEqual(validate(input, mode), {
        ok: false,
        errors: [{ field: "", message: "Send the patient as a JSON object" }],
      });
    }
  }
});

Deno.test("validatePatient() reports every bad field at once, in the dataset's column order", () => {
  const input = {
    zzz: 1,
    stroke: 2,
    bmi: 200,
    smoking_status: "sometimes",
    user_id: 7,
    avg_glucose_level: 0,
    Residence_type: "rural",
    work_type: "job",
    $gt: "",
    ever_married: "yes",
    heart_disease: "0",
    hypertension: true,
    age: 0,
    gender: "m",
    id: 0,
  };
  const fields = badFields(input, "create");
  assert.deepEqual(fields, [...PATIENT_FIELDS, "zzz", "user_id", "$gt"]);
  const { id: _id, ...withoutId } = input;
  const patched = badFields(withoutId, "patch");
  assert.deepEqual(patched, [...PATIENT_FIELDS.slice(1), "zzz", "user_id", "$gt"]);
  const missing = badFields({ stroke: 1, age: -1, gender: "x" }, "replace");
  assert.deepEqual(missing, PATIENT_FIELDS.slice(1, -1));
});

/** A record as the CSV writes it. */
function textOf(row: PatientFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of PATIENT_FIELDS) out[field] = row[field] === null ? "N/A" : String(row[field]);
  return out;
}

Deno.test("parsePatientText() turns a CSV row into typed input that validates", () => {
  const text = textOf(ROW);
  assert.deepEqual(text.avg_glucose_level, "228.69");
  assert.deepEqual(parsePatientText(text), ROW);
  assert.deepEqual(validatePatient(parsePatientText(text), "create"), { ok: true, value: ROW });
});

Deno.test('parsePatientText() reads "N/A", "n/a" and an empty bmi as null', () => {
  for (const bmi of ["N/A", "n/a", " N/A ", "", "  "]) {
    assert.equal(parsePatientText({ ...textOf(ROW), bmi }).bmi, null, JSON.stringify(bmi));
  }
  assert.ok(validatePatient(parsePatientText({ ...textOf(ROW), bmi: "N/A" }), "create").ok);
});

Deno.test("parsePatientText() parses numbers strictly and keeps other text for the validator", () => {
  for (const raw of ["67abc", "0x43", "1,5", "6 7", "Infinity", "NaN", "--1", "67."]) {
    const input = parsePatientText({ ...textOf(ROW), age: raw });
    if (raw === "67.") {
      assert.equal(input.age, 67);
      continue;
    }
    assert.equal(input.age, raw.trim());
    assert.deepEqual(badFields(input, "create"), ["age"], raw);
  }
  const parsed = parsePatientText({ age: "0.08", bmi: ".5", avg_glucose_level: "1e2", id: "+3" });
  assert.deepEqual(parsed, { age: 0.08, bmi: 0.5, avg_glucose_level: 100, id: 3 });
  assert.deepEqual(parsePatientText({ hypertension: " 1 ", gender: " Male " }), {
    hypertension: 1,
    gender: "Male",
  });
  assert.deepEqual(parsePatientText({ gender: "67", stroke: "yes" }), {
    gender: "67",
    stroke: "yes",
  });
});

Deno.test("parsePatientText() leaves out an empty id and other empty fields", () => {
  const input = parsePatientText({ ...textOf(ROW), id: "", gender: " ", work_type: undefined });
  assert.equal("id" in input, false);
  assert.equal("gender" in input, false);
  assert.deepEqual(errorsOf(input, "create"), [
    { field: "gender", message: "Gender is required" },
    { field: "work_type", message: "Work type is required" },
  ]);
  assert.ok(validatePatient(parsePatientText({ ...textOf(ROW), id: "" }), "create").ok);
});

Deno.test({
  name: "every one of the 5,110 dataset rows validates",
  ignore: skipWithoutData(DATASET),
  fn() {
    const { rows } = loadDataset()!;
    assert.equal(rows.length, 5110);
    let unknownBmi = 0;
    for (const [i, row] of rows.entries()) {
      const result = validatePatient(parsePatientText(row), "create");
      assert.ok(result.ok, `line ${i + 2}: ${JSON.stringify(result.ok ? null : result.errors)}`);
      assert.equal(result.value.id, Number(row.id));
      if (result.value.bmi === null) unknownBmi++;
      assert.equal(row.bmi === "N/A", result.value.bmi === null);
    }
    assert.ok(unknownBmi > 0);
  },
});
