/**
 * Reading a CSV file as it streams in (csv-parse): UTF-8 with or without BOM, LF or CRLF,
 * quoted fields, blank lines skipped, each record with the file line it starts on. A record
 * the parser cannot read is reported by line and the rest carry on; a file over the byte limit
 * stops with `CsvTooLargeError`, a workbook or other binary file with `NotTextError`, and a
 * first line too long for a header with `HeaderTooLongError` (before parsing it).
 */
import { formatCount } from "./count_format.ts";
import { excerpt } from "./excerpt.ts";
import { type CsvError, type Info, type Options, parse } from "csv-parse";
import { Buffer } from "node:buffer";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A record as written: its values, or why it could not be read. */
export type CsvRecord =
  | { line: number; values: string[] }
  | { line: number; error: string; raw: string };

/** The file is larger than the limit allows. */
export class CsvTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(
      `The file is larger than ${
        formatCount(maxBytes / 1_000_000)
      } MB, the most this app imports at once. Split it and import the parts.`,
    );
    this.name = "CsvTooLargeError";
  }
}

/** The file is a spreadsheet workbook or some other binary file, not CSV text. */
export class NotTextError extends Error {
  constructor() {
    super("This is an Excel workbook (or not a text file); save it as CSV (UTF-8) and try again.");
    this.name = "NotTextError";
  }
}

/** The file's first line is longer than any header of the dataset could be. */
export class HeaderTooLongError extends Error {
  constructor(readonly maxBytes: number) {
    super(
      `The file's first line is longer than ${
        formatCount(maxBytes / 1024)
      } KB, so it is not the dataset's header row.`,
    );
    this.name = "HeaderTooLongError";
  }
}

/** The longest first line read: the dataset's header is 140 bytes. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * How files that are not text begin: ZIP (`.xlsx`, `.ods`, `.numbers`), the OLE2 container of
 * `.xls`, PDF and gzip.
 */
const BINARY_SIGNATURES = [
  [0x50, 0x4b, 0x03, 0x04],
  [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
  [0x25, 0x50, 0x44, 0x46, 0x2d],
  [0x1f, 0x8b],
];
/** Bytes looked at to tell text from a binary file (a NUL byte among them is never text). */
const SNIFF_BYTES = 4096;

/** True when `head`, the first bytes of a file, show that it is not text. */
export function looksBinary(head: Uint8Array): boolean {
  if (BINARY_SIGNATURES.some((sig) => sig.every((byte, i) => head[i] === byte))) return true;
  return head.subarray(0, SNIFF_BYTES).includes(0);
}

/** Words for the parser's own error codes. */
const PARSE_MESSAGES: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: "A quoted value is followed by other text before the next comma",
  CSV_QUOTE_NOT_CLOSED: 'A quoted value is never closed (a missing ")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "A quoted value is followed by other text",
};

/**
 * The most bytes the parser is given at once. It turns a whole piece into records, without a
 * pause, before the reader takes the first: a file handed over in one piece (an upload read
 * whole, 60 MB for a million rows) would otherwise stand in memory as a million arrays of
 * strings, and a row with too few values costs the parser about 50 µs (it builds an error for
 * it), so 64 KiB of one-letter rows held the whole app up for 1.6 s. 4 KiB of them take at most
 * about 0.1 s, and an import that stops early has read one piece ahead.
 */
const PIECE_BYTES = 4 * 1024;

/**
 * Passes bytes through in pieces of at most `PIECE_BYTES` (views, not copies), failing once
 * more than `maxBytes` went by, at once when the first piece is not text, and when the first
 * line runs past `MAX_HEADER_BYTES`.
 */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  let headerEnded = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (seen === 0 && chunk.length > 0 && looksBinary(chunk)) return done(new NotTextError());
      if (!headerEnded) {
        const end = chunk.subarray(0, MAX_HEADER_BYTES - seen);
        headerEnded = end.includes(10) || end.includes(13);
        if (!headerEnded && seen + chunk.length > MAX_HEADER_BYTES) {
          return done(new HeaderTooLongError(MAX_HEADER_BYTES));
        }
      }
      seen += chunk.length;
      if (seen > maxBytes) return done(new CsvTooLargeError(maxBytes));
      let at = 0;
      for (; chunk.length - at > PIECE_BYTES; at += PIECE_BYTES) {
        this.push(chunk.subarray(at, at + PIECE_BYTES));
      }
      done(null, chunk.subarray(at));
    },
  });
}

/** Line breaks inside a record's values (CRLF, LF or CR each one), as a quoted value has them. */
function breaksIn(values: readonly string[]): number {
  let breaks = 0;
  for (const value of values) {
    if (!value.includes("\n") && !value.includes("\r")) continue;
    breaks += value.match(/\r\n|\r|\n/g)!.length;
  }
  return breaks;
}

/**
 * The records of a CSV byte stream, header first. Throws `CsvTooLargeError` (over `maxBytes`),
 * `NotTextError` (a workbook or other binary file), `HeaderTooLongError` or the parser's error.
 *
 * Each record's line is where it starts in the file, counted here rather than by the parser
 * (which counts a CRLF inside quotes as two lines): the line after the previous record, its
 * line breaks inside quoted values, and the blank lines skipped since.
 */
export async function* readCsvRecords(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array,
  maxBytes: number,
): AsyncGenerator<CsvRecord> {
  const skipped: CsvRecord[] = [];
  /** The line where the text after the last record begins, and the parser's counts there. */
  let next = 1;
  let emptySeen = 0;
  let parserLines = 0;
  /** The line a record starts on, from the blank lines the parser skipped before it. */
  const startOf = (context: Pick<Info, "lines" | "empty_lines">) => {
    const line = next + (context.empty_lines - emptySeen);
    emptySeen = context.empty_lines;
    return line;
  };
  /** The lines of the records parsed and not yet read below, in order, from `head` on. */
  let lines: number[] = [];
  let head = 0;
  const options: Options = {
    bom: true,
    // LF, CRLF or CR, even mixed in one file (spreadsheets append with their own).
    record_delimiter: ["\r\n", "\n", "\r"],
    // A stray quote inside a value is kept as written, so that the value is reported.
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Called in the file's order, as the parser reads (it runs ahead of the reader below).
    on_record: (record: string[], context) => {
      const line = startOf(context);
      lines.push(line);
      next = line + breaksIn(record) + 1;
      parserLines = context.lines;
      return record;
    },
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      const counts = error as (CsvError & Info) | undefined;
      const line = counts ? startOf(counts) : next;
      if (counts) {
        // Where the parser picks up again (its own count: the record could not be read).
        next = line + Math.max(1, counts.lines - parserLines);
        parserLines = counts.lines;
      }
      const message = PARSE_MESSAGES[error?.code ?? ""] ??
        (error?.message ? excerpt(error.message) : "Unreadable row");
      skipped.push({ line, error: message, raw: excerpt(String(raw ?? "")) });
      return undefined;
    },
  };
  const parser = parse(options);
  /** Reports of unreadable records that come before `line` (the parser runs ahead of us). */
  const skippedBefore = (line: number) => {
    const due = skipped.filter((s) => s.line < line);
    skipped.splice(0, due.length);
    return due;
  };
  const input = source instanceof Uint8Array
    ? Readable.from([Buffer.from(source)])
    : source instanceof ReadableStream
    ? Readable.fromWeb(source as import("node:stream/web").ReadableStream<Uint8Array>)
    : Readable.from(source);
  const piping = pipeline(input, byteLimit(maxBytes), parser);
  // The pipeline's failure reaches the loop below through the parser; keep it from also
  // surfacing as an unhandled rejection.
  piping.catch(() => {});
  for await (const values of parser as AsyncIterable<string[]>) {
    const line = lines[head++]!;
    if (head === lines.length) [lines, head] = [[], 0];
    if (skipped.length) yield* skippedBefore(line);
    yield { line, values };
  }
  yield* skippedBefore(Infinity);
  await piping;
}

/**
 * Writes an upload of unknown length to a temporary file, counting its bytes: over `maxBytes`
 * it stops, removes the file and throws `CsvTooLargeError`, so that a file too large is refused
 * before any of its rows is stored, without holding the upload in memory. The caller removes
 * the file (`remove`) once it has read it.
 */
export async function spoolUpload(
  source: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ path: string; bytes: number; remove: () => Promise<void> }> {
  const path = await Deno.makeTempFile({ prefix: "spm-upload-", suffix: ".csv" });
  const remove = () => Deno.remove(path).catch(() => {});
  let bytes = 0;
  try {
    const file = await Deno.open(path, { write: true, truncate: true });
    const counted = source.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.length;
          if (bytes > maxBytes) throw new CsvTooLargeError(maxBytes);
          controller.enqueue(chunk);
        },
      }),
    );
    await counted.pipeTo(file.writable); // closes the file, also when it fails
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, bytes, remove };
}
