/**
 * A cache of the embedded store's reads, valid while the data does not change: every write
 * through this connection clears it, and SQLite's `PRAGMA data_version` tells when another
 * connection (another process on the same file) has committed.
 */
export class ReadCache {
  readonly #entries = new Map<string, unknown>();
  #version = -1;
  /** Bumped by every clear, so that a read that raced with a write is not kept. */
  #generation = 0;

  constructor(private readonly dataVersion: () => number, private readonly limit = 256) {}

  /** Forgets everything: called after each write. */
  clear(): void {
    this.#entries.clear();
    this.#generation++;
  }

  /** The cached value for `key`, or `load()`'s (kept unless a write happened meanwhile). */
  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const version = this.dataVersion();
    if (version !== this.#version) {
      this.clear();
      this.#version = version;
    }
    if (this.#entries.has(key)) {
      const value = this.#entries.get(key) as T;
      this.#entries.delete(key); // most recently used last
      this.#entries.set(key, value);
      return value;
    }
    const generation = this.#generation;
    const value = await load();
    if (generation === this.#generation) {
      this.#entries.set(key, value);
      if (this.#entries.size > this.limit) {
        this.#entries.delete(this.#entries.keys().next().value!);
      }
    }
    return value;
  }
}
