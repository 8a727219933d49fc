/**
 * Files kept in the accounts database in pieces (a CSV upload waiting for its import, a FHIR
 * export's NDJSON files): each piece a row small enough for any database's packet limit,
 * numbered from 0 by `seq`, and read back one piece at a time. Which pieces go when is each
 * store's rule; this module only writes and reads them.
 */
import type { Kysely } from "kysely";
import type { AccountsDb } from "./database.ts";
import type { AccountsSchema } from "./schema.ts";

/** Bytes per stored piece of a file written at once (under every database's packet limit). */
export const CHUNK_BYTES = 512 * 1024;

/** A stored piece: the columns naming its file, then its number and its bytes. */
interface Piece {
  seq: number;
  data: Uint8Array;
}

/** The tables of pieces: those with `seq` and `data` (`import_chunks`, `fhir_export_chunks`). */
export type ChunkTable = {
  [T in keyof AccountsSchema]: AccountsSchema[T] extends Piece ? T : never;
}[keyof AccountsSchema];

/** The columns that name one file in `T` (`import_id`; `export_id`, `run` and `file`). */
export type ChunkFile<T extends ChunkTable> = Omit<AccountsSchema[T], keyof Piece>;

/**
 * The tables of pieces as one shape, for the queries below: they differ only in the columns
 * that name a file, which `ChunkFile` types for the callers.
 */
type Pieces = Kysely<Record<string, Piece & Record<string, string | number | Uint8Array>>>;
const pieces = (db: Kysely<AccountsSchema>) => db as unknown as Pieces;

/** Stores piece `seq` of a file (a file written as it is made, piece by piece). */
export async function writeChunk<T extends ChunkTable>(
  db: Kysely<AccountsSchema>,
  table: T,
  file: ChunkFile<T>,
  seq: number,
  data: Uint8Array,
): Promise<void> {
  await pieces(db).insertInto(table as string).values({ ...file, seq, data }).execute();
}

/** Stores a whole file, in pieces of `CHUNK_BYTES`. */
export async function writeChunks<T extends ChunkTable>(
  db: Kysely<AccountsSchema>,
  table: T,
  file: ChunkFile<T>,
  bytes: Uint8Array,
): Promise<void> {
  for (let seq = 0; seq * CHUNK_BYTES < bytes.length; seq++) {
    await writeChunk(
      db,
      table,
      file,
      seq,
      bytes.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES),
    );
  }
}

/** A stored file, piece by piece (one piece in memory at a time), until the first gap. */
export async function* readChunks<T extends ChunkTable>(
  accounts: AccountsDb,
  table: T,
  file: ChunkFile<T>,
): AsyncIterable<Uint8Array> {
  const naming = Object.entries(file) as [string, string][];
  for (let seq = 0;; seq++) {
    const row = await accounts.run((db) =>
      pieces(db).selectFrom(table as string).select("data")
        .where((eb) => eb.and(naming.map(([column, value]) => eb(column, "=", value))))
        .where("seq", "=", seq).executeTakeFirst()
    );
    if (!row) return;
    yield new Uint8Array(row.data);
  }
}
