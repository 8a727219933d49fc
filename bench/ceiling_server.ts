/**
 * The benchmark's ceilings, in a process of their own (so they neither share the app's event
 * loop nor its memory):
 *
 * - `GET /tiny`: a tiny JSON answer — what Deno's HTTP server does with no work at all.
 * - `GET /same-bytes`: exactly the bytes (and content type) the app answered for the fixed list
 *   URL, from memory — the HTTP cost of the app's payload with no query and no serialization.
 * - `GET /raw?<list query>`: the list query done naively straight through `node:sqlite` on the
 *   app's `patients.db` — `SELECT … WHERE user_id = ? [AND filters] ORDER BY … LIMIT … OFFSET …`
 *   plus a `COUNT(*)`, answered as `{"items","total","page","per_page"}`. No cache.
 * - `GET /raw-mongo?<list query>`: the same through the raw `mongodb` driver:
 *   `find().sort().skip().limit()` + `countDocuments()`.
 *
 * Environment: `PORT`, `PATIENTS_DB` (path), `USER_ID`, `SAME_BYTES_FILE`, `SAME_BYTES_TYPE`,
 * and optionally `MONGO_URI`, `MONGO_DB`, `MONGO_COLLECTION`. The query strings are the app's
 * list parameters; anything else is a 400, so a bench path the app would refuse fails here too.
 */
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { type Collection, type Document, MongoClient, type Sort } from "mongodb";

const env = Deno.env.toObject();
const port = Number(env.PORT ?? "0");
const userId = Number(env.USER_ID);
if (!Number.isInteger(userId)) throw new Error("USER_ID must be set");

const COLUMNS = PATIENT_FIELDS;
const TEXT_FILTERS = ["gender", "ever_married", "work_type", "Residence_type", "smoking_status"];
const FLAG_FILTERS = ["hypertension", "heart_disease", "stroke"];

interface ListQuery {
  /** Equality filters, by column. */
  equal: [string, string | number][];
  ageMin?: number;
  ageMax?: number;
  sortField: string;
  descending: boolean;
  page: number;
  perPage: number;
}

class BadQuery extends Error {}

function parseQuery(params: URLSearchParams): ListQuery {
  const query: ListQuery = { equal: [], sortField: "id", descending: false, page: 1, perPage: 50 };
  for (const [name, value] of params) {
    if (name === "page") query.page = Number(value);
    else if (name === "per_page") query.perPage = Number(value);
    else if (name === "sort") {
      query.descending = value.startsWith("-");
      query.sortField = query.descending ? value.slice(1) : value;
      if (!(COLUMNS as readonly string[]).includes(query.sortField)) throw new BadQuery(name);
    } else if (name === "age_min") query.ageMin = Number(value);
    else if (name === "age_max") query.ageMax = Number(value);
    else if (TEXT_FILTERS.includes(name)) query.equal.push([name, value]);
    else if (FLAG_FILTERS.includes(name)) query.equal.push([name, Number(value)]);
    else throw new BadQuery(name);
  }
  const numbers = [query.page, query.perPage, query.ageMin ?? 0, query.ageMax ?? 0];
  if (numbers.some((n) => !Number.isFinite(n)) || query.page < 1 || query.perPage < 1) {
    throw new BadQuery("number");
  }
  return query;
}

// --- the embedded store's file, through node:sqlite -------------------------------------------

const sqlite = env.PATIENTS_DB ? new DatabaseSync(env.PATIENTS_DB, { readOnly: true }) : null;
/** Prepared statements by SQL text (as any code using node:sqlite would keep them). */
const statements = new Map<string, StatementSync>();
function statement(text: string): StatementSync {
  let prepared = statements.get(text);
  if (!prepared) {
    prepared = sqlite!.prepare(text);
    statements.set(text, prepared);
  }
  return prepared;
}

function rawSqlite(query: ListQuery): string {
  const conditions = ["user_id = ?"];
  const values: SQLInputValue[] = [userId];
  for (const [column, value] of query.equal) {
    conditions.push(`${column} = ?`);
    values.push(value);
  }
  if (query.ageMin !== undefined) {
    conditions.push("age >= ?");
    values.push(query.ageMin);
  }
  if (query.ageMax !== undefined) {
    conditions.push("age <= ?");
    values.push(query.ageMax);
  }
  const where = conditions.join(" AND ");
  const direction = query.descending ? "DESC" : "ASC";
  const order = query.sortField === "id"
    ? `id ${direction}`
    : `${query.sortField} ${direction}, id ${direction}`;
  const items = statement(
    `SELECT ${COLUMNS.join(", ")}, created_at, updated_at, revision FROM patients
     WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`,
  ).all(...values, query.perPage, (query.page - 1) * query.perPage);
  const { total } = statement(`SELECT COUNT(*) AS total FROM patients WHERE ${where}`)
    .get(...values) as { total: number };
  return JSON.stringify({ items, total, page: query.page, per_page: query.perPage });
}

// --- the same on MongoDB, through the raw driver ----------------------------------------------

let mongo: { client: MongoClient; collection: Collection<Document> } | null = null;
function mongoCollection(): Collection<Document> {
  if (!env.MONGO_URI || !env.MONGO_DB) throw new BadQuery("MONGO_URI and MONGO_DB are not set");
  if (!mongo) {
    const client = new MongoClient(env.MONGO_URI);
    mongo = {
      client,
      collection: client.db(env.MONGO_DB).collection(env.MONGO_COLLECTION ?? "Patient_data"),
    };
  }
  return mongo.collection;
}

async function rawMongo(query: ListQuery): Promise<string> {
  const filter: Document = { user_id: userId };
  for (const [column, value] of query.equal) filter[column] = value;
  if (query.ageMin !== undefined || query.ageMax !== undefined) {
    filter.age = {
      ...(query.ageMin !== undefined ? { $gte: query.ageMin } : {}),
      ...(query.ageMax !== undefined ? { $lte: query.ageMax } : {}),
    };
  }
  const direction = query.descending ? -1 : 1;
  const sort: Sort = query.sortField === "id"
    ? { id: direction }
    : { [query.sortField]: direction, id: direction };
  const collection = mongoCollection();
  const [items, total] = await Promise.all([
    collection.find(filter, { projection: { _id: 0, user_id: 0 } }).sort(sort)
      .skip((query.page - 1) * query.perPage).limit(query.perPage).toArray(),
    collection.countDocuments(filter),
  ]);
  return JSON.stringify({ items, total, page: query.page, per_page: query.perPage });
}

// --- the server --------------------------------------------------------------------------------

const sameBytes = env.SAME_BYTES_FILE ? await Deno.readFile(env.SAME_BYTES_FILE) : null;
const sameType = env.SAME_BYTES_TYPE ?? "application/json";
const JSON_TYPE = { "Content-Type": "application/json" };

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.log(`ceiling server listening on ${port}`),
}, async (request) => {
  const url = new URL(request.url);
  try {
    switch (url.pathname) {
      case "/tiny":
        return Response.json({ ok: true });
      case "/same-bytes":
        if (!sameBytes) return new Response("SAME_BYTES_FILE is not set", { status: 404 });
        return new Response(sameBytes, { headers: { "Content-Type": sameType } });
      case "/raw":
        if (!sqlite) return new Response("PATIENTS_DB is not set", { status: 404 });
        return new Response(rawSqlite(parseQuery(url.searchParams)), { headers: JSON_TYPE });
      case "/raw-mongo":
        return new Response(await rawMongo(parseQuery(url.searchParams)), {
          headers: JSON_TYPE,
        });
      default:
        return new Response("Not found", { status: 404 });
    }
  } catch (error) {
    if (error instanceof BadQuery) {
      return new Response(`Bad query: ${error.message}`, { status: 400 });
    }
    console.error(error);
    return new Response("Internal error", { status: 500 });
  }
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.shutdown();
    await mongo?.client.close();
    sqlite?.close();
    Deno.exit(0);
  });
}
