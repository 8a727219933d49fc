/**
 * Streaming reads by key, a batch at a time: each batch a query of its own that starts after the
 * last row of the batch before, so that no statement stays open between two batches and rows
 * written meanwhile never shift one. The query of each batch is the store's own.
 */

/** Rows read per round by the admissions' streaming reads (quality indicators, exports). */
export const READ_BATCH = 1000;

/**
 * The batches `read` gives, `size` rows at most each: `read(null)` the first, `read(last)` the
 * one after `last` (the previous batch's last row, in the query's order). A batch shorter than
 * `size` is the last one.
 */
export async function* keysetBatches<Row>(
  size: number,
  read: (last: Row | null) => Row[] | Promise<Row[]>,
): AsyncIterable<Row[]> {
  let last: Row | null = null;
  for (;;) {
    const rows = await read(last);
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    last = rows[rows.length - 1]!;
  }
}
