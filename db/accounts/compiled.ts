/**
 * Queries that run on every request (a page's session and user, its registries; an API call's
 * token), built and compiled by Kysely once per database handle and then run with the request's
 * value: building and compiling cost more than SQLite takes to answer them.
 */
import type { Compilable, CompiledQuery, Kysely } from "kysely";
import type { AccountsSchema } from "./schema.ts";

type Db = Kysely<AccountsSchema>;

/** Stands for the request's value while the query is compiled (no value of ours looks like it). */
const SLOT = "\u0000compiled-slot\u0000";

/**
 * `build(db, slot)`'s query, compiled once per handle, with `slot` replaced by the value given:
 * `query(db, value)` (`slot` is typed `never` so that it stands for a value of any column). The
 * other values `build` uses (constants such as `"active"`) stay as compiled. `build` must use
 * `slot` exactly where the value goes, as a value (never spliced into the SQL).
 */
export function compiledOnce<Row>(
  build: (db: Db, slot: never) => Compilable<Row>,
): (db: Db, value: unknown) => CompiledQuery<Row> {
  const compiled = new WeakMap<Db, { query: CompiledQuery<Row>; slots: number[] }>();
  return (db, value) => {
    let entry = compiled.get(db);
    if (!entry) {
      const query = build(db, SLOT as never).compile();
      const slots = query.parameters.flatMap((p, i) => p === SLOT ? [i] : []);
      if (slots.length === 0 || query.sql.includes(SLOT)) {
        throw new Error(`compiledOnce: the value must be a parameter of ${query.sql}`);
      }
      entry = { query, slots };
      compiled.set(db, entry);
    }
    const parameters = [...entry.query.parameters];
    for (const i of entry.slots) parameters[i] = value;
    return { ...entry.query, parameters };
  };
}
