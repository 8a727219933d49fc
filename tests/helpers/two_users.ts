/**
 * Two users of one app for the hostile-input properties: each with an API token, a browser
 * session, twenty ordinary records (ids 1–20, the same ids for both) and five canaries, records
 * with a glucose level no generator writes. What one user is shown must never hold the other's
 * canary glucose, nor (checked at the end) a revision of the other's records.
 */
import assert from "node:assert/strict";
import { PATIENT_FIELDS } from "../../lib/patient_fields.ts";
import type { PatientStore } from "../../lib/patient_store.ts";
import { validatePatient } from "../../lib/patient_validation.ts";
import { type ApiUser, registerApiUser } from "./api.ts";
import type { TestApp } from "./app.ts";
import { samplePatient } from "./fixtures.ts";
import { loggedInBrowser } from "./logged_in.ts";
import type { TestBrowser } from "./test_browser.ts";

export interface Party {
  name: string;
  user: ApiUser;
  browser: TestBrowser;
  /** The canaries' glucose, as every format writes it. */
  marker: string;
  canaries: { id: number; revision: string }[];
  /** Every UUID this user's answers carried. */
  seen: Set<string>;
  /** Answers by kind of request and status class, e.g. `PUT 4xx`. */
  statuses: Map<string, number>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Registers `name` with twenty ordinary records and five canaries from `firstCanary`. */
export async function party(
  app: TestApp,
  name: string,
  marker: number,
  firstCanary: number,
): Promise<Party> {
  const user = await registerApiUser(app, `${name.toLowerCase()}@example.org`);
  const browser = await loggedInBrowser(app, { email: user.email, existing: true });
  for (let id = 1; id <= 20; id++) {
    const record = samplePatient({ id, age: 30 + id, avg_glucose_level: 90 + id });
    assert.equal((await user.api("POST", "/api/patient_data", record)).status, 201);
  }
  const canaries = [];
  for (let id = firstCanary; id < firstCanary + 5; id++) {
    const record = samplePatient({ id, gender: "Other", avg_glucose_level: marker, bmi: 149.5 });
    const res = await user.api("POST", "/api/patient_data", record);
    assert.equal(res.status, 201);
    canaries.push({ id, revision: res.headers.get("ETag")!.replaceAll('"', "") });
  }
  return {
    name,
    user,
    browser,
    marker: String(marker),
    canaries,
    seen: new Set(),
    statuses: new Map(),
  };
}

/** An answer to `me`: no 5xx and nothing of `other`'s; its UUIDs are noted. */
export function check(
  me: Party,
  other: Party,
  what: string,
  status: number,
  text: string,
): void {
  assert.ok(status < 500, `${what} answered ${status}: ${text.slice(0, 300)}`);
  assert.ok(!text.includes(other.marker), `${me.name} saw ${other.name}'s canary: ${what}`);
  for (const uuid of text.match(UUID) ?? []) me.seen.add(uuid);
  const key = `${what.split(" ")[0]} ${Math.floor(status / 100)}xx`;
  me.statuses.set(key, (me.statuses.get(key) ?? 0) + 1);
}

/**
 * A request from `me`'s browser session as it is (cookies and Origin, no CSRF token added),
 * without reading the page for a token as `TestBrowser` does, which is slow.
 */
export function sessionRequest(
  app: TestApp,
  me: Party,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Cookie", me.browser.cookieHeader());
  if (init.method && init.method !== "GET") headers.set("Origin", "http://127.0.0.1:5000");
  return app.request(path, { ...init, headers, redirect: "manual" });
}

/** The API through the checked call when the path is a documented one, else as it is. */
export async function apiRequest(
  app: TestApp,
  me: Party,
  method: string,
  path: string,
  body?: string,
  type?: string,
  more: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = type === undefined
    ? more
    : { ...more, "Content-Type": type };
  if (!/[^\w/]/.test(path.split("?")[0]!)) return await me.user.api(method, path, body, headers);
  const res = await app.request(path, {
    method,
    headers: { ...headers, Authorization: `Bearer ${me.user.token}` },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, text: await res.text() };
}

async function storedRecords(store: PatientStore, owner: number) {
  const live = [];
  for await (const record of store.stream(owner, {}, { field: "id", direction: "asc" })) {
    live.push(record);
  }
  const { items } = await store.listDeleted(owner, { page: 1, perPage: 100_000 });
  return [...live, ...items];
}

/** Every revision `owner`'s records have or had, as far as the store and the log know. */
export async function revisionsOf(store: PatientStore, owner: number): Promise<Set<string>> {
  const revisions = new Set((await storedRecords(store, owner)).map((r) => r.revision));
  for await (const entry of store.audit.stream({ ownerId: owner })) {
    for (const r of [entry.revision_before, entry.revision_after]) if (r) revisions.add(r);
  }
  return revisions;
}

const KEPT = new Set(["created_at", "updated_at", "revision", "deleted_at", "deleted_by"]);

/** Every stored record of `owner`, live or deleted, passes the validator with its fields only. */
export async function assertStoredValid(store: PatientStore, owner: number): Promise<number> {
  const records = await storedRecords(store, owner);
  for (const record of records) {
    const fields = Object.fromEntries(Object.entries(record).filter(([k]) => !KEPT.has(k)));
    const extra = Object.keys(fields).filter((k) =>
      !(PATIENT_FIELDS as readonly string[]).includes(k)
    );
    assert.deepEqual(extra, [], `patient ${record.id} of user ${owner} has extra fields`);
    const checked = validatePatient(fields, "create");
    assert.ok(checked.ok, `patient ${record.id} of user ${owner}: ${JSON.stringify(checked)}`);
  }
  return records.length;
}
