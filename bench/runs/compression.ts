/**
 * Compression: the bytes of a `/patients` page and of an API list page as sent plain, gzipped
 * and brotli-compressed (the same pages of the mix each way, bodies as they cross the wire), and
 * each random mix under wrk plain, with `Accept-Encoding: gzip` and with `br`, back to back.
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { appTarget, type Bench, BenchFailure, gets, measure, progress } from "../lib/measure.ts";
import type { EmbeddedApp } from "./embedded.ts";

const CODINGS = ["gzip", "br"] as const;
type Coding = typeof CODINGS[number];

/** Mean body bytes per page of one target, by coding (`identity`: no `Accept-Encoding`). */
export interface CompressionResult {
  id: string;
  label: string;
  pages: number;
  identity_bytes: number;
  gzip_bytes: number;
  br_bytes: number;
  /** The 1-minute load average when the sizes were taken. */
  load_1m: number;
}

/** A GET whose body is read as sent (Deno's fetch would decode it): its coding and bytes. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; coding: string | null; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      res.on("end", () => {
        const coding = res.headers["content-encoding"];
        resolve({
          status: res.statusCode ?? 0,
          coding: typeof coding === "string" ? coding : null,
          body: new Uint8Array(Buffer.concat(chunks)),
        });
      });
      res.on("error", reject);
    }).on("error", reject);
  });
}

function decode(coding: Coding, body: Uint8Array): Uint8Array {
  return coding === "gzip" ? gunzipSync(body) : brotliDecompressSync(body);
}

/** The mean bytes of `paths` plain and in each coding; a wrong coding or body stops the run. */
async function pageBytes(
  base: string,
  paths: readonly string[],
  headers: Record<string, string>,
): Promise<Record<Coding | "identity", number>> {
  const total = { identity: 0, gzip: 0, br: 0 };
  for (const path of paths) {
    const plain = await rawGet(base + path, headers);
    if (plain.status !== 200 || plain.coding !== null) {
      throw new BenchFailure(`${path} plain: ${plain.status}, coding ${plain.coding}`);
    }
    total.identity += plain.body.byteLength;
    const small = plain.body.byteLength < 1024; // sent as it is, whatever the client accepts
    for (const coding of CODINGS) {
      const res = await rawGet(base + path, { ...headers, "Accept-Encoding": coding });
      if (res.status !== 200 || res.coding !== (small ? null : coding)) {
        throw new BenchFailure(`${path} as ${coding}: ${res.status}, coding ${res.coding}`);
      }
      // A page's masked CSRF token and session clock differ each time, not their lengths (much).
      const decoded = small ? res.body.byteLength : decode(coding, res.body).byteLength;
      if (Math.abs(decoded - plain.body.byteLength) > 16) {
        throw new BenchFailure(
          `${path} as ${coding} decodes to ${decoded} bytes, not ${plain.body.byteLength}`,
        );
      }
      total[coding] += res.body.byteLength;
    }
  }
  const n = paths.length;
  return { identity: total.identity / n, gzip: total.gzip / n, br: total.br / n };
}

export async function measureCompression(
  bench: Bench,
  app: EmbeddedApp,
  mix: readonly string[],
) {
  const kinds = [
    {
      id: "patients-random",
      label: "GET /patients?… random mix (browser session, full page)",
      path: (q: string) => `/patients?${q}`,
      headers: { Cookie: app.sessionCookie },
    },
    {
      id: "api-random",
      label: "GET /api/patient_data?… random mix (bearer token)",
      path: (q: string) => `/api/patient_data?${q}`,
      headers: app.bearer,
    },
  ];
  progress("Compression: bytes per page as sent plain, gzipped and brotli-compressed…");
  for (const kind of kinds) {
    const paths = mix.slice(0, 100).map(kind.path);
    const bytes = await pageBytes(app.child.base, paths, kind.headers);
    bench.results.compression.push({
      id: kind.id,
      label: kind.label,
      pages: paths.length,
      identity_bytes: bytes.identity,
      gzip_bytes: bytes.gzip,
      br_bytes: bytes.br,
      load_1m: Deno.loadavg()[0]!,
    });
    progress(
      `  ${kind.id}: ${Math.round(bytes.identity)} B plain, ${Math.round(bytes.gzip)} B gzip, ` +
        `${Math.round(bytes.br)} B br per page`,
    );
  }
  // Each kind plain again, then gzip, then br, back to back: the machine's load drifts over a
  // run, and a ratio to a plain run minutes earlier would measure that drift too.
  for (const kind of kinds) {
    for (const coding of ["identity", ...CODINGS] as const) {
      const id = `${kind.id}-${coding}`;
      await measure(
        bench,
        appTarget(bench, app, {
          id,
          label: coding === "identity"
            ? `${kind.label}, no Accept-Encoding (again, beside the next two)`
            : `${kind.label}, Accept-Encoding: ${coding}`,
          requests: gets(mix.map(kind.path)),
          headers: coding === "identity" ? kind.headers : {
            ...kind.headers,
            "Accept-Encoding": coding,
          },
        }),
      );
      if (coding !== "identity") bench.results.ratio(id, `${kind.id}-identity`);
    }
  }
}
