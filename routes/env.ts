/** The Hono environment every route shares: what `c.get()` returns. */
import type { Config } from "../config.ts";
import type { Stores } from "../db/stores.ts";
import type { AssetManifest } from "./assets.ts";

/** Where the app writes its log lines (stdout in production; captured in tests). */
export type Log = (line: string) => void;

/** Everything the app needs from outside, handed over by `main.ts` (or a test). */
export interface AppDeps {
  config: Config;
  stores: Stores;
  assets: AssetManifest;
  log: Log;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    deps: AppDeps;
  };
}

declare module "hono" {
  interface ContextRenderer {
    (content: string | Promise<string>, props: { title: string }): Response | Promise<Response>;
  }
}
