/**
 * Helpers for the FHIR API suites: a client holding a bearer token (or none) whose every answer is
 * checked as FHIR — `application/fhir+json` bodies valid R4, every error an OperationOutcome — and
 * the Bulk Data steps (kick-off, polling to the manifest, NDJSON files read and validated).
 */
import assert from "node:assert/strict";
import type { Bundle, OperationOutcome, Resource } from "@medplum/fhirtypes";
import type { TestApp } from "./app.ts";
import { assertValidFhir } from "./fhir_validator.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

export interface FhirResponse {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

/** Sends requests to the app's FHIR API (paths or absolute URLs of it). */
export type FhirCall = (path: string, init?: RequestInit) => Promise<FhirResponse>;

/** The path (and query) of an absolute URL the app wrote, to send back in-process. */
export function pathOf(url: string): string {
  const parsed = new URL(url, "http://127.0.0.1:5000");
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * Checks one answer: a FHIR JSON body is valid R4 (a Bundle's entries too), every error status
 * carries an OperationOutcome, an NDJSON or manifest body is left to the caller.
 */
export async function checkFhir(res: Response, what: string): Promise<FhirResponse> {
  const text = await res.text();
  const type = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim();
  let body: Json = null;
  if (type === "application/fhir+json") {
    body = JSON.parse(text);
    assertValidFhir(body as Resource);
  } else if (type === "application/json") {
    body = JSON.parse(text);
  }
  if (res.status >= 400) {
    assert.equal(type, "application/fhir+json", `${what} → ${res.status}: ${text.slice(0, 200)}`);
    assert.equal(body.resourceType, "OperationOutcome", `${what} → ${res.status}`);
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A FHIR client of `app` with `token` (none: no credentials). */
export function fhirClient(app: TestApp, token?: string): FhirCall {
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (token !== undefined && !headers.has("Authorization")) {
      headers.set("Authorization", `Bearer ${token}`);
    }
    const target = pathOf(path);
    return await checkFhir(await app.request(target, { ...init, headers }), target);
  };
}

/** The text of an OperationOutcome's issues, joined. */
export function outcomeText(body: OperationOutcome): string {
  return body.issue.map((i) => i.details?.text ?? "").join(" ");
}

/** The resources of a searchset Bundle. */
export function entries<R extends Resource = Resource>(bundle: Bundle): R[] {
  return (bundle.entry ?? []).map((e) => e.resource as R);
}

/** Every resource of a search, following `next` links; returns them and the pages read. */
export async function allPages(
  call: FhirCall,
  first: string,
): Promise<{ resources: Resource[]; pages: Bundle[] }> {
  const pages: Bundle[] = [];
  let next: string | undefined = first;
  while (next !== undefined) {
    const res = await call(next);
    assert.equal(res.status, 200, res.text);
    pages.push(res.body);
    next = (res.body as Bundle).link?.find((l) => l.relation === "next")?.url;
    assert.ok(pages.length < 1000, "the next links end");
  }
  return { resources: pages.flatMap((p) => entries(p)), pages };
}

/** Starts an export; returns the status URL. */
export async function kickOff(call: FhirCall, path: string): Promise<string> {
  const res = await call(path, {
    headers: { Prefer: "respond-async", Accept: "application/fhir+json" },
  });
  assert.equal(res.status, 202, res.text);
  const location = res.headers.get("Content-Location");
  assert.ok(location, "the kick-off names its status URL");
  return location;
}

/** The Bulk Data manifest of a finished export. */
export interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: { type: string; url: string; count: number }[];
}

/** Polls a status URL until the export has finished; returns the manifest (and what polls saw). */
export async function manifestOf(
  call: FhirCall,
  status: string,
): Promise<{ manifest: Manifest; progress: string[] }> {
  const progress: string[] = [];
  for (let polls = 0; polls < 6000; polls++) {
    const res = await call(status);
    if (res.status === 200) {
      assert.equal(res.headers.get("Content-Type")?.split(";")[0], "application/json");
      return { manifest: res.body, progress };
    }
    assert.equal(res.status, 202, `polling: ${res.status} ${res.text}`);
    assert.ok(res.headers.get("X-Progress"), "a running export says how far it is");
    assert.ok(Number(res.headers.get("Retry-After")) >= 1, "and when to ask again");
    progress.push(res.headers.get("X-Progress")!);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("The export did not finish");
}

/** An output file's resources, each line parsed and (unless told) validated. */
export async function ndjsonFile(
  call: FhirCall,
  url: string,
  options: { validate?: boolean } = {},
): Promise<Resource[]> {
  const res = await call(url);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get("Content-Type"), "application/fhir+ndjson");
  assert.ok(res.text === "" || res.text.endsWith("\n"), "every line ends");
  const lines = res.text.split("\n").slice(0, -1);
  return lines.map((line) => {
    const resource = JSON.parse(line) as Resource;
    if (options.validate !== false) assertValidFhir(resource);
    return resource;
  });
}

/** Every file of a manifest, by type. */
export async function exportedFiles(
  call: FhirCall,
  manifest: Manifest,
  options: { validate?: boolean } = {},
): Promise<Map<string, Resource[]>> {
  const files = new Map<string, Resource[]>();
  for (const file of [...manifest.output, ...manifest.error]) {
    const resources = await ndjsonFile(call, file.url, options);
    assert.equal(resources.length, file.count, `${file.type}: the manifest's count is the file's`);
    assert.ok(resources.every((r) => r.resourceType === file.type), `${file.type} only`);
    files.set(file.type, resources);
  }
  return files;
}
