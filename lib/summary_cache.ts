/**
 * Summaries (statistics, data quality, the risk model) kept until the user's records change: each
 * is keyed by the user's data version as read from the database (see `PatientStore.dataVersion`),
 * so a write through any app instance makes the next request compute afresh. Concurrent asks for
 * the same summary share one computation; a user's older versions are dropped as soon as a newer
 * one is seen; at most `limit` summaries are kept, none longer than `maxAgeMs`.
 */

interface Entry {
  value: Promise<unknown>;
  at: number;
}

export class SummaryCache {
  readonly #entries = new Map<string, Entry>();
  /** The version last seen of each user with summaries kept. */
  readonly #versions = new Map<number, string>();

  constructor(
    /** True for a failure that is an answer about the data (kept like a value). */
    private readonly keepsError: (error: unknown) => boolean = () => false,
    private readonly limit = 64,
    private readonly maxAgeMs = 5 * 60_000,
  ) {}

  /** The key of one summary of `userId`'s records under `version`. */
  key(userId: number, version: string, what: string): string {
    if (this.#versions.get(userId) !== version) {
      // The data changed: what was kept under another version is of no further use.
      for (const key of [...this.#entries.keys()]) {
        if (key.startsWith(`${userId}\u0000`)) this.#entries.delete(key);
      }
      this.#versions.set(userId, version);
    }
    return `${userId}\u0000${version}\u0000${what}`;
  }

  /** True when `key`'s summary is kept (or being computed) and not too old. */
  has(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry && Date.now() - entry.at > this.maxAgeMs) this.#entries.delete(key);
    return this.#entries.has(key);
  }

  /** `key`'s summary, computed by `load` unless it is kept or being computed already. */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.has(key)) {
      const entry = this.#entries.get(key)!;
      this.#entries.delete(key); // most recently used last
      this.#entries.set(key, entry);
      return entry.value as Promise<T>;
    }
    const value = load();
    const entry = { value, at: Date.now() };
    this.#entries.set(key, entry);
    value.catch((error) => {
      if (!this.keepsError(error) && this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    while (this.#entries.size > this.limit) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    if (this.#versions.size > this.limit * 4) {
      for (const [userId] of this.#versions) {
        if (this.#versions.size <= this.limit) break;
        this.#versions.delete(userId);
      }
    }
    return value;
  }
}
