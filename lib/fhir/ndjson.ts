/**
 * Bulk Data output: resources as NDJSON (`application/fhir+ndjson`, one resource per line),
 * written from an async iterable in chunks of bounded size with the sink's back-pressure, so
 * that memory stays flat whatever the number of resources; and the manifest a finished export's
 * status answers with (Bulk Data Access 2.0).
 */
import type { Resource } from "@medplum/fhirtypes";
import { Utf8Buffer } from "../utf8_buffer.ts";

/** The media type of an output file. */
export const NDJSON_TYPE = "application/fhir+ndjson";

/** Characters gathered before a chunk is written (at most 3 bytes each in UTF-8). */
export const CHUNK_CHARS = 64 * 1024;

export interface NdjsonOptions {
  /** Characters per chunk (default `CHUNK_CHARS`); a chunk holds whole lines. */
  chunkChars?: number;
  /** Stops the writing between two resources (a cancelled export). */
  signal?: AbortSignal;
}

const encoder = new TextEncoder();
const NEWLINE = 10;

/**
 * The resources as NDJSON chunks: whole lines, each chunk about `chunkChars` characters (one
 * line longer at most). `JSON.stringify` escapes every line break inside a value, so each
 * resource is exactly one line.
 */
export async function* ndjsonChunks(
  resources: AsyncIterable<Resource> | Iterable<Resource>,
  options: NdjsonOptions = {},
): AsyncGenerator<Uint8Array> {
  const limit = options.chunkChars ?? CHUNK_CHARS;
  let parts: string[] = [];
  let chars = 0;
  for await (const resource of resources) {
    options.signal?.throwIfAborted();
    const line = `${JSON.stringify(resource)}\n`;
    parts.push(line);
    chars += line.length;
    if (chars >= limit) {
      yield encoder.encode(parts.join(""));
      parts = [];
      chars = 0;
    }
  }
  if (parts.length > 0) yield encoder.encode(parts.join(""));
}

/** What was written. */
export interface NdjsonWritten {
  /** Resources (lines). */
  count: number;
  bytes: number;
}

/**
 * Writes the resources as NDJSON to `sink` (a file's `writable`, a response's stream), waiting
 * for the sink before each chunk; closes it at the end, aborts it on failure or cancellation.
 * `onProgress` hears the running count after each chunk (the export's `X-Progress`).
 */
export async function writeNdjson(
  resources: AsyncIterable<Resource> | Iterable<Resource>,
  sink: WritableStream<Uint8Array>,
  options: NdjsonOptions & { onProgress?: (written: NdjsonWritten) => void | Promise<void> } = {},
): Promise<NdjsonWritten> {
  const writer = sink.getWriter();
  const written: NdjsonWritten = { count: 0, bytes: 0 };
  async function* counted(): AsyncIterable<Resource> {
    for await (const resource of resources) {
      written.count++;
      yield resource;
    }
  }
  try {
    for await (const chunk of ndjsonChunks(counted(), options)) {
      await writer.ready;
      await writer.write(chunk);
      written.bytes += chunk.byteLength;
      await options.onProgress?.({ ...written });
    }
    await writer.close();
    return written;
  } catch (error) {
    await writer.abort(error).catch(() => {});
    throw error;
  } finally {
    writer.releaseLock();
  }
}

/**
 * Resources written one at a time (one pass feeding several files): whole lines gathered into
 * chunks of about `chunkChars` characters, each written once the sink has taken the last, so a
 * file holds one chunk in memory whatever its size. Each line is encoded as it comes into one
 * buffer of the writer's (see `Utf8Buffer`). With `reuse` the sink is handed a view of that
 * buffer, valid until its write resolves (a sink that copies the bytes, as a database insert
 * does); otherwise each chunk is a copy of its own.
 */
export class NdjsonWriter {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #limit: number;
  readonly #reuse: boolean;
  readonly #buffer: Utf8Buffer;
  #chars = 0;
  readonly #written: NdjsonWritten = { count: 0, bytes: 0 };

  constructor(
    sink: WritableStream<Uint8Array>,
    options: { chunkChars?: number; reuse?: boolean } = {},
  ) {
    this.#writer = sink.getWriter();
    this.#limit = options.chunkChars ?? CHUNK_CHARS;
    this.#reuse = options.reuse ?? false;
    // Room for a chunk of ASCII and a line beyond it; grown when the text needs more.
    this.#buffer = new Utf8Buffer(this.#limit + 16 * 1024);
  }

  /** What has been written so far (lines, and bytes the sink has taken). */
  get written(): NdjsonWritten {
    return { ...this.#written };
  }

  /** Adds one resource as a line; writes a chunk to the sink when one is full. */
  async write(resource: Resource): Promise<void> {
    const json = JSON.stringify(resource);
    this.#buffer.append(json, NEWLINE);
    this.#chars += json.length + 1;
    this.#written.count++;
    if (this.#chars >= this.#limit) await this.#flush();
  }

  /** Writes what is left and closes the sink. */
  async close(): Promise<NdjsonWritten> {
    await this.#flush();
    await this.#writer.close();
    this.#writer.releaseLock();
    return this.written;
  }

  /** Drops what is left and aborts the sink (a failed or cancelled export). */
  async abort(reason?: unknown): Promise<void> {
    this.#buffer.clear();
    this.#chars = 0;
    await this.#writer.abort(reason).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#buffer.byteLength === 0) return;
    const chunk = this.#reuse ? this.#buffer.view() : this.#buffer.take();
    this.#chars = 0;
    await this.#writer.ready;
    await this.#writer.write(chunk);
    this.#buffer.clear();
    this.#written.bytes += chunk.byteLength;
  }
}

/** NDJSON of the resources as a stream to answer a request with. */
export function ndjsonStream(
  resources: AsyncIterable<Resource> | Iterable<Resource>,
  options: NdjsonOptions = {},
): ReadableStream<Uint8Array> {
  const chunks = ndjsonChunks(resources, options);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  }, { highWaterMark: 1 });
}

/** One file of a manifest: the resource type, where to get it, how many resources it holds. */
export interface ManifestFile {
  type: string;
  url: string;
  count: number;
}

/** The body of a finished export's status (Bulk Data Access 2.0). */
export interface BulkManifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: true;
  output: ManifestFile[];
  error: ManifestFile[];
}

/**
 * A finished export's manifest. `transactionTime` is when the export's data was read (a client
 * passes it as the next `_since`); `request` is the kick-off URL as sent; `error` lists NDJSON
 * files of OperationOutcomes (records that could not be written). Files without a resource are
 * left out, as the specification allows.
 */
export function exportManifest(input: {
  transactionTime: Date | string;
  request: string;
  output: readonly ManifestFile[];
  error?: readonly ManifestFile[];
}): BulkManifest {
  const time = new Date(input.transactionTime);
  if (Number.isNaN(time.getTime())) throw new RangeError("The export's time is not a date-time");
  const files = (list: readonly ManifestFile[]) =>
    list.filter((f) => f.count > 0).map((f) => {
      if (!Number.isInteger(f.count)) {
        throw new RangeError(`A file's count must be whole: ${f.url}`);
      }
      return { type: f.type, url: f.url, count: f.count };
    });
  return {
    transactionTime: time.toISOString(),
    request: input.request,
    requiresAccessToken: true,
    output: files(input.output),
    error: files(input.error ?? []),
  };
}
