/**
 * Reading a CSV file as it streams in (csv-parse): UTF-8 with or without BOM, LF or CRLF,
 * quoted fields, blank lines skipped, each record with the file line it starts on. A record
 * the parser cannot read is reported by line and the rest carry on; a file over the byte limit
 * stops with `CsvTooLargeError`.
 */
import { formatCount } from "./count_format.ts";
import { parse } from "csv-parse";
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

/** Words for the parser's own error codes. */
const PARSE_MESSAGES: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: "A quoted value is followed by other text before the next comma",
  CSV_QUOTE_NOT_CLOSED: 'A quoted value is never closed (a missing ")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "A quoted value is followed by other text",
};

/**
 * The most bytes the parser is given at once. It turns a whole piece into records before the
 * reader takes the first, so a file handed over in one piece (an upload read whole, 60 MB for a
 * million rows) would otherwise stand in memory as a million arrays of strings.
 */
const PIECE_BYTES = 64 * 1024;

/**
 * Passes bytes through in pieces of at most `PIECE_BYTES` (views, not copies), failing once
 * more than `maxBytes` went by.
 */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
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

interface ParsedRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

/**
 * The records of a CSV byte stream, header first. Throws `CsvTooLargeError` (over `maxBytes`)
 * or the parser's error for input that is not text at all.
 */
export async function* readCsvRecords(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array,
  maxBytes: number,
): AsyncGenerator<CsvRecord> {
  const skipped: CsvRecord[] = [];
  let lastLine = 0;
  let lastEmpty = 0;
  const parser = parse({
    bom: true,
    info: true,
    // LF, CRLF or CR, even mixed in one file (spreadsheets append with their own).
    record_delimiter: ["\r\n", "\n", "\r"],
    // A stray quote inside a value is kept as written, so that the value is reported.
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: { code?: string; lines?: number; message: string } | undefined, raw) => {
      const line = error?.lines ?? lastLine + 1;
      const message = PARSE_MESSAGES[error?.code ?? ""] ?? error?.message ?? "Unreadable row";
      skipped.push({ line, error: message, raw: String(raw ?? "").slice(0, 200) });
    },
  });
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
  for await (const { record, info } of parser as AsyncIterable<ParsedRecord>) {
    // A record starts after the previous one and the blank lines skipped since.
    const line = lastLine + 1 + (info.empty_lines - lastEmpty);
    yield* skippedBefore(line);
    lastLine = info.lines;
    lastEmpty = info.empty_lines;
    yield { line, values: record };
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

/** One CSV line (RFC 4180): values with a comma, quote or line break are quoted; CRLF ends it. */
export function csvLine(values: readonly string[]): string {
  return values.map((v) => /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v).join(",") +
    "\r\n";
}
