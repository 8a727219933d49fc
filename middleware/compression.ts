/**
 * Compresses the app's text answers (pages, JSON, CSV, NDJSON and their FHIR and problem
 * variants) with gzip or brotli as the client's `Accept-Encoding` asks: a body given whole at
 * once, a stream (an export) as it is produced, never held whole. Left alone: bodies under
 * `threshold` bytes, other types (static files carry their own codings), answers to `Range`
 * requests, and anything marked `Cache-Control: no-transform` or already encoded. A strong ETag gets the coding's mark
 * (`"x"` → `"x-gzip"`, RFC 9110 §8.8.1), which lib/entity_tags.ts accepts in `If-None-Match` and
 * `If-Match` alike.
 */
import type { Context, MiddlewareHandler } from "hono";
import { Buffer } from "node:buffer";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { codedTag, matchedTag, type TagCoding } from "../lib/entity_tags.ts";

/** The types compressed: HTML, JSON (and `+json`), CSV and NDJSON (and `+ndjson`). */
const COMPRESSIBLE =
  /^\s*(?:text\/(?:html|csv|plain)|application\/(?:json|x-ndjson|ndjson|[\w.-]+\+(?:json|ndjson)))\s*(?:;|$)/i;
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;
const VARY_ACCEPT_ENCODING = /(?:^|,)\s*(?:accept-encoding|\*)\s*(?:,|$)/i;

/** The codings the app sends. */
export type Coding = TagCoding;

export interface CompressionOptions {
  /** Bodies shorter than this are sent as they are (default 1024 bytes). */
  threshold?: number;
  /**
   * Codings in order of preference among those a client rates alike (default gzip, then br:
   * brotli saves another 13–15 % of a page for 1.5–3× gzip's CPU; see docs/decisions.md).
   */
  preference?: readonly Coding[];
  /**
   * Small writes are gathered up to this many bytes before they are compressed (default 32 KiB):
   * the native compressor flushes every write, so the dataset's CSV written a line at a time
   * would shrink by 62 % where it can by 79 %.
   */
  gatherBytes?: number;
  /** A gathered write waits at most this long for the next (default 50 ms). */
  gatherMs?: number;
}

/**
 * The coding to send for an `Accept-Encoding` header: the highest rated of `preference` (an
 * explicit rating, else the `*` one), ties going to the earlier; undefined for none (no header,
 * only `identity`, or every coding refused with `q=0`).
 */
export function chooseCoding(
  header: string | undefined,
  preference: readonly Coding[] = ["gzip", "br"],
): Coding | undefined {
  if (!header) return undefined;
  const rated = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.split(";").map((s) => s.trim());
    if (!name) continue;
    const q = params.find((p) => /^q\s*=/i.test(p));
    const value = q === undefined ? 1 : Number(q.split("=")[1]);
    rated.set(name.toLowerCase(), Number.isFinite(value) ? value : 0);
  }
  let best: { coding: Coding; q: number } | undefined;
  for (const coding of preference) {
    const q = rated.get(coding) ?? rated.get("*") ?? 0;
    if (q > 0 && (!best || q > best.q)) best = { coding, q };
  }
  return best?.coding;
}

/** Whether an answer of this type and `Cache-Control` may be compressed at all. */
export function compressible(type: string | null, cacheControl: string | null): boolean {
  return type !== null && COMPRESSIBLE.test(type) && !NO_TRANSFORM.test(cacheControl ?? "");
}

/** Adds `Accept-Encoding` to a `Vary` header value (unless it says so already). */
export function varyOnEncoding(current: string | null): string {
  if (!current) return "Accept-Encoding";
  return VARY_ACCEPT_ENCODING.test(current) ? current : `${current}, Accept-Encoding`;
}

/**
 * The start of a body: chunks up to `threshold` bytes, then one read more, and whether that was
 * all. A body given whole (a page, a JSON answer) is one chunk, so it is known complete then.
 */
async function readStart(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  threshold: number,
): Promise<{ chunks: Uint8Array[]; bytes: number; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (let more = true; more;) {
    more = bytes < threshold;
    const { value, done } = await reader.read();
    if (done) return { chunks, bytes, done: true };
    chunks.push(value);
    bytes += value.byteLength;
  }
  return { chunks, bytes, done: false };
}

/** The chunks read so far, then the rest of `reader`, pulled only as the consumer reads. */
function resumed(
  chunks: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const first = chunks.shift();
      if (first) return controller.enqueue(first);
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Gathers small writes into chunks of about `bytes`, passing one on early when no write follows
 * within `ms` (so a slow producer's bytes are not held back).
 */
export function gathered(bytes: number, ms: number): TransformStream<Uint8Array, Uint8Array> {
  let parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pass = (controller: TransformStreamDefaultController<Uint8Array>) => {
    clearTimeout(timer);
    timer = undefined;
    if (size === 0) return;
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    parts = [];
    size = 0;
    controller.enqueue(out);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (size === 0 && chunk.byteLength >= bytes) return controller.enqueue(chunk);
      parts.push(chunk);
      size += chunk.byteLength;
      if (size >= bytes) pass(controller);
      else if (timer === undefined) {
        timer = setTimeout(() => {
          try {
            pass(controller);
          } catch {
            // the stream was cancelled meanwhile: nothing to pass on
          }
        }, ms);
      }
    },
    flush(controller) {
      pass(controller);
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}

const FORMATS: Record<Coding, CompressionFormat> = { gzip: "gzip", br: "brotli" };

/** The platform's compressor (native; it flushes each write, hence {@link gathered}). */
function compressor(coding: Coding): ReadableWritablePair<Uint8Array<ArrayBuffer>, Uint8Array> {
  return new CompressionStream(FORMATS[coding]) as ReadableWritablePair<
    Uint8Array<ArrayBuffer>,
    Uint8Array
  >;
}

/**
 * A whole body compressed at once, cheaper than through a stream. gzip at its default level (6);
 * brotli at quality 5 (on an 80 kB page of patients within 0.2 % of quality 6's size in 70 % of
 * its time; the default, 11, is for files compressed once, as the static ones are), with a window
 * just big enough for the body: the default 4 MiB one is set up for every call and doubled the
 * time of a 15 kB list.
 */
function compressWhole(body: Uint8Array, coding: Coding): Uint8Array<ArrayBuffer> {
  const lgwin = Math.max(18, Math.min(22, Math.ceil(Math.log2(body.byteLength))));
  const out = coding === "gzip" ? gzipSync(body) : brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_LGWIN]: lgwin,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
    },
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength) as Uint8Array<ArrayBuffer>;
}

/**
 * Replaces the answer with `body` and `headers`. Hono's setter would wrap the new body in a
 * stream, which Deno sends chunked rather than as bytes with a length: measured under wrk, that
 * alone took gzipped `/patients` pages to a third of the plain rate (set directly: the same rate).
 */
function answer(c: Context, from: Response, body: BodyInit | null, headers: Headers): void {
  c.res = undefined;
  c.res = new Response(body, { status: from.status, statusText: from.statusText, headers });
}

/** Compresses every eligible answer as the request's `Accept-Encoding` asks. */
export function compression(options: CompressionOptions = {}): MiddlewareHandler {
  const threshold = options.threshold ?? 1024;
  const preference = options.preference ?? ["gzip", "br"];
  const gatherBytes = options.gatherBytes ?? 32 * 1024;
  const gatherMs = options.gatherMs ?? 50;
  return async function compression(c, next) {
    await next();
    const res = c.res;
    const etag = res.headers.get("ETag");
    if (res.status === 304) {
      // The client's copy may be a compressed one (`"x-gzip"`): say that that one is still good.
      const held = etag?.startsWith('"')
        ? matchedTag(c.req.header("If-None-Match"), etag.slice(1, -1))
        : null;
      if (held && held !== "*") res.headers.set("ETag", `"${held}"`);
      return;
    }
    if (!compressible(res.headers.get("Content-Type"), res.headers.get("Cache-Control"))) return;
    if (res.headers.has("Content-Encoding") || res.headers.has("Content-Range")) return;
    if (c.req.header("Range") !== undefined || res.status === 206) return;
    res.headers.set("Vary", varyOnEncoding(res.headers.get("Vary")));
    const coding = chooseCoding(c.req.header("Accept-Encoding"), preference);
    if (!coding) return;
    if (!res.body) return;
    const length = res.headers.get("Content-Length");
    if (length !== null && Number(length) < threshold) return;

    const reader = res.body.getReader();
    const start = await readStart(reader, threshold);
    const headers = new Headers(res.headers);
    if (start.done && start.bytes < threshold) {
      answer(c, res, start.chunks.length ? Buffer.concat(start.chunks) : null, headers);
      return;
    }
    headers.delete("Content-Length");
    headers.set("Content-Encoding", coding);
    if (etag?.startsWith('"')) headers.set("ETag", `"${codedTag(etag.slice(1, -1), coding)}"`);
    const body = start.done
      ? compressWhole(Buffer.concat(start.chunks), coding)
      : resumed(start.chunks, reader)
        .pipeThrough(gathered(gatherBytes, gatherMs))
        .pipeThrough(compressor(coding));
    answer(c, res, body, headers);
  };
}
