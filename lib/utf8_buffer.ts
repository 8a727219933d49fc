/**
 * Text gathered as UTF-8 bytes in one buffer (`TextEncoder.encodeInto`), grown when needed: what
 * a long export writes in chunks. Lines held as strings until a chunk is full (and a chunk built
 * by `+=`, a tree of every line's pieces) outlive V8's young generation whenever a collection
 * comes while the chunk fills, and old space then grows by what has been written until a full
 * collection; each line encoded as it comes is garbage at once.
 */
const encoder = new TextEncoder();

export class Utf8Buffer {
  #bytes: Uint8Array;
  #used = 0;

  constructor(capacity = 64 * 1024) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.#used;
  }

  /** Adds `text`, and `byte` after it when given (an NDJSON line's `\n`). */
  append(text: string, byte?: number): void {
    let rest = text;
    for (;;) {
      const { read, written } = encoder.encodeInto(rest, this.#bytes.subarray(this.#used));
      this.#used += written;
      if (read === rest.length && (byte === undefined || this.#used < this.#bytes.length)) break;
      rest = rest.slice(read);
      // At most 3 bytes a UTF-16 code unit, and the byte after.
      const grown = new Uint8Array(
        Math.max(this.#bytes.length * 2, this.#used + rest.length * 3 + 1),
      );
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    if (byte !== undefined) this.#bytes[this.#used++] = byte;
  }

  /** The bytes held, as a view of the buffer: valid until the next `append` or `clear`. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#used);
  }

  /** The bytes held, as a copy of their own; the buffer is emptied. */
  take(): Uint8Array {
    const bytes = this.#bytes.slice(0, this.#used);
    this.#used = 0;
    return bytes;
  }

  clear(): void {
    this.#used = 0;
  }
}
