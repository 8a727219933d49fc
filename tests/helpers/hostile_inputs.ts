/**
 * fast-check generators of whole requests' parts: JSON bodies (valid patients spoiled with odd
 * values and keys, or anything at all, or text no serializer writes), headers, query strings,
 * form fields and how they are encoded, and CSV files.
 */
import fc from "fast-check";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  PATIENT_FIELDS,
} from "../../lib/patient_fields.ts";
import { hostileKey, idIn, oddNumber, oddText, oddValue, validPatient } from "./hostile_values.ts";

/** A JSON body: a valid patient with some fields spoiled or added, or anything at all. */
export function patientBody(others: readonly number[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(validPatient, fc.option(idIn(others))).map(([p, id]) =>
        id === null ? p : { ...p, id }
      ),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(
        validPatient,
        fc.dictionary(fc.constantFrom(...PATIENT_FIELDS), oddValue, { maxKeys: 3 }),
      ).map(([p, spoiled]) => ({ ...p, ...spoiled })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(validPatient, fc.dictionary(hostileKey, oddValue, { maxKeys: 3 }))
        .map(([p, extra]) => ({ ...p, ...extra })),
    },
    { weight: 1, arbitrary: fc.dictionary(hostileKey, oddValue, { maxKeys: 6 }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
  );
}

/** Bodies as text: JSON of a body, or text no serializer would write. */
export function bodyText(others: readonly number[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: patientBody(others).map((b) => JSON.stringify(b) ?? "null") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "",
        "{",
        "null",
        "NaN",
        '{"age": 1e400, "gender": "Male"}',
        '{"__proto__": {"gender": "Male"}, "age": 50}',
        '{"age": 50, "age": "fifty"}',
        '{"constructor": {"prototype": {"x": 1}}}',
        "\uFEFF{}",
        "[".repeat(20_000) + "]".repeat(20_000),
        '{"a":'.repeat(5000) + "1" + "}".repeat(5000),
        '"' + "x".repeat(300_000) + '"',
        '{"age": -0, "hypertension": -0}',
        '{"id": 1.0}',
        '{"id": 1e0}',
        '{"bmi": null}',
      ),
    },
  );
}

/** Header text: printable ASCII, and what revision headers look like when they go wrong. */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("*", 'W/"x"', '"a", "b"', '""', '"', ",", "W/", "x".repeat(9000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
);

export const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null,
      "text/plain",
      "application/merge-patch+json",
      "application/json; charset=utf-16",
      "APPLICATION/JSON",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ),
  },
);

/** Values a parameter takes when it is used as meant. */
const MEANT: Record<string, readonly string[]> = {
  page: ["1", "2", "1000000"],
  per_page: ["1", "25", "500"],
  sort: PATIENT_FIELDS.flatMap((f) => [f, `-${f}`]),
  q: ["1", "7", "900001", "800001"],
  age_min: ["0", "40", "60.5"],
  age_max: ["59.99", "80", "120"],
  format: ["csv", "json"],
  deidentify: ["true", "false"],
  k_min: ["1", "5", "999999"],
  compare: ["reference"],
  on_conflict: ["skip", "update"],
  dry_run: ["true", "false"],
  ...Object.fromEntries(CATEGORICAL_FIELDS.map((f) => [f, CATEGORICAL_VALUES[f].map(String)])),
};

/** One parameter: a known name with a meant or odd value, or an unknown name. */
const parameter: fc.Arbitrary<[string, string]> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(...Object.keys(MEANT)).chain((name) =>
      fc.tuple(
        fc.constant(name),
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...MEANT[name]!) },
          { weight: 1, arbitrary: oddText },
          { weight: 1, arbitrary: oddNumber.map(String) },
        ),
      )
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.oneof(
        fc.constantFrom("user_id", "q[$gt]", "__proto__", "constructor", "a.b", "Gender", ""),
        fc.string({ maxLength: 6 }),
      ),
      oddText,
    ),
  },
);

/** Parameters as a query string, each escaped or (sometimes) written raw. */
function queryOf(parameters: fc.Arbitrary<[string, string]>, maxLength: number) {
  return fc.array(fc.tuple(parameters, fc.boolean()), { maxLength }).map((pairs) =>
    pairs.map(([[name, value], raw]) =>
      raw
        ? `${name}=${value}`.replace(/[#\s]/g, "+")
        : `${encodeURIComponent(name.toWellFormed())}=${encodeURIComponent(value.toWellFormed())}`
    ).join("&")
  );
}

/** A query string of a list, summary or export. */
export const queryString: fc.Arbitrary<string> = queryOf(parameter, 4);

/** The query string of an import: its two parameters, now and then something else. */
export const importQuery: fc.Arbitrary<string> = queryOf(
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...MEANT.on_conflict!.map((v) => ["on_conflict", v])) },
    { weight: 3, arbitrary: fc.constantFrom(...MEANT.dry_run!.map((v) => ["dry_run", v])) },
    { weight: 1, arbitrary: parameter },
  ) as fc.Arbitrary<[string, string]>,
  2,
);

/** Form fields as a browser (or a script posing as one) might send them. */
export const formFields: fc.Arbitrary<[string, string][]> = fc.tuple(
  validPatient,
  fc.dictionary(fc.constantFrom(...PATIENT_FIELDS), oddText, { maxKeys: 3 }),
  fc.array(fc.tuple(hostileKey, oddText), { maxLength: 3 }),
).map(([patient, spoiled, extra]) => [
  ...Object.entries({ ...patient, ...spoiled }).map(([k, v]): [string, string] => [
    k,
    v === null ? "" : String(v),
  ]),
  ...extra,
]);

/** A CSV file: the header in some order (or a wrong one), rows of valid and odd cells. */
export function csvFile(others: readonly number[]): fc.Arbitrary<string> {
  const cell = fc.oneof(
    { weight: 2, arbitrary: oddText },
    { weight: 1, arbitrary: oddNumber.map(String) },
  );
  const row = fc.tuple(
    validPatient,
    idIn(others),
    fc.dictionary(
      fc.constantFrom(...PATIENT_FIELDS),
      cell,
      { maxKeys: 2 },
    ),
  );
  return fc.record({
    header: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.shuffledSubarray<string>([...PATIENT_FIELDS], { minLength: 12 }),
      },
      {
        weight: 1,
        arbitrary: fc.array(fc.oneof(fc.constantFrom<string>(...PATIENT_FIELDS), hostileKey), {
          maxLength: 14,
        }),
      },
    ),
    rows: fc.array(row, { maxLength: 8 }),
    bom: fc.boolean(),
    newline: fc.constantFrom("\n", "\r\n", "\r"),
  }).map(({ header, rows, bom, newline }) => {
    const quote = (v: string) => /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    const lines = [header.map(quote).join(",")];
    for (const [patient, id, spoiled] of rows) {
      const values: Record<string, unknown> = { ...patient, id, ...spoiled };
      lines.push(
        header.map((f) => quote(values[f] === null ? "N/A" : String(values[f] ?? "")))
          .join(","),
      );
    }
    return (bom ? "\uFEFF" : "") + lines.join(newline) + newline;
  });
}

/** How a form's fields travel: as browsers send them, or as careless and broken clients do. */
export const formEncoding = fc.constantFrom(
  "urlencoded",
  "multipart",
  "file",
  "raw",
  "no boundary",
  "wrong boundary",
);

/**
 * The body (and headers) of a form of `entries` sent as `encoding`: "file" puts a file where
 * the age belongs, "raw" writes escapes carelessly (a stray `%`, `%FF`), and the last two say
 * multipart without being it — with the CSRF token in its header, so that the route reads it.
 */
export function encodeForm(
  entries: [string, string][],
  encoding: string,
): { body: BodyInit; headers: Record<string, string> } {
  const urlencoded = new URLSearchParams(entries).toString();
  const token = entries.find(([name]) => name === "_csrf")?.[1] ?? "";
  switch (encoding) {
    case "urlencoded":
      return { body: urlencoded, headers: { "Content-Type": "application/x-www-form-urlencoded" } };
    case "raw":
      return {
        body: entries.map(([k, v]) => `${k}=${v.replaceAll("&", "%").replaceAll(" ", "+")}%FF`)
          .join("&"),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      };
    case "no boundary":
    case "wrong boundary":
      return {
        body: urlencoded,
        headers: {
          "Content-Type": `multipart/form-data${encoding === "no boundary" ? "" : "; boundary=x"}`,
          "X-CSRF-Token": token,
        },
      };
  }
  const data = new FormData();
  for (const [name, value] of entries) data.append(name, value);
  if (encoding === "file") data.set("age", new File(["67"], "age.txt"));
  return { body: data, headers: {} };
}
