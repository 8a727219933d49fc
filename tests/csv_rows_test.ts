/**
 * Reading CSV as it streams: a file handed over in one large piece is read in small ones, each
 * record with the physical line it starts on, and a workbook is told apart from text.
 */
import assert from "node:assert/strict";
import {
  type CsvRecord,
  CsvTooLargeError,
  NotTextError,
  readCsvRecords,
  spoolUpload,
} from "../lib/csv_rows.ts";

async function all(records: AsyncIterable<CsvRecord>): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

Deno.test("one large piece is read right across the parser's 64 KiB pieces", async () => {
  // Lines of 11 bytes, then a value whose é (two bytes) straddles the first piece's end (byte
  // 65,536), a quoted line break, then more lines.
  const head = "a,b\r\n" + "1234,5678\r\n".repeat(5957); // 65,532 bytes
  const text = head + 'xxxé,"one\ntwo"\r\n' + "x,y\r\n".repeat(40_000);
  const bytes = new TextEncoder().encode(text);
  assert.ok(bytes.length > 3 * 64 * 1024);
  const records = await all(readCsvRecords(bytes, bytes.length));
  assert.equal(records.length, 1 + 5957 + 1 + 40_000);
  assert.deepEqual(records[5958], { line: 5959, values: ["xxxé", "one\ntwo"] });
  assert.deepEqual(records.at(-1), { line: 5957 + 2 + 1 + 40_000, values: ["x", "y"] });
});

Deno.test("an upload without a length is spooled to a file, and refused over the limit", async () => {
  const bytes = new TextEncoder().encode("a,b\r\n1,2\r\n");
  const stream = () => ReadableStream.from([bytes.subarray(0, 4), bytes.subarray(4)]);
  const spooled = await spoolUpload(stream(), bytes.length);
  try {
    assert.equal(spooled.bytes, bytes.length);
    assert.deepEqual(await Deno.readFile(spooled.path), bytes);
  } finally {
    await spooled.remove();
  }
  await assert.rejects(() => Deno.stat(spooled.path), Deno.errors.NotFound);
  await assert.rejects(() => spoolUpload(stream(), bytes.length - 1), CsvTooLargeError);
});

const lines = async (text: string) =>
  (await all(readCsvRecords(new TextEncoder().encode(text), 1e6))).map((r) => r.line);

Deno.test("a CRLF inside a quoted value is one line, not two", async () => {
  // Lines 2, 4, 6, 8, 10 each hold a value over two lines; the last record is on line 12.
  const text = "a,b\r\n" + '1,"x\r\ny"\r\n'.repeat(5) + "2,z\r\n";
  assert.deepEqual(await lines(text), [1, 2, 4, 6, 8, 10, 12]);
  // LF, CR and mixed line ends inside quotes, and blank lines between records.
  const mixed = 'a,b\n1,"x\ny"\n\r\n2,"p\rq\r\ns"\r3,4\n';
  assert.deepEqual(await lines(mixed), [1, 2, 5, 8]);
});

Deno.test("an unclosed quote is reported on the line where its record starts", async () => {
  const records = await all(
    readCsvRecords(new TextEncoder().encode('a,b\r\n1,2\r\n3,"oops\r\n4,5\r\n6,7\r\n'), 1e6),
  );
  assert.deepEqual(records.map((r) => [r.line, "error" in r]), [[1, false], [2, false], [
    3,
    true,
  ]]);
});

Deno.test("a workbook, a PDF or a UTF-16 file is not text", async () => {
  const files = [
    new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 6, 0]), // .xlsx (a ZIP)
    new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]), // .xls
    new TextEncoder().encode("%PDF-1.7\n"),
    new Uint8Array([0xff, 0xfe, 0x69, 0, 0x64, 0]), // "id" in UTF-16
  ];
  for (const bytes of files) {
    await assert.rejects(() => all(readCsvRecords(bytes, 1e6)), NotTextError);
  }
  assert.equal((await lines("id,gender\r\n")).length, 1, "plain text is read");
});
