/**
 * The browser session (hono-sessions over the accounts database) and the logged-in user.
 * Skipped for the public routes (static files, the health check, the OpenAPI document, token
 * creation: `PUBLIC_ROUTES` in `routes/app.tsx`) and for bearer-token calls, so that those never
 * touch the sessions table.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie } from "hono/cookie";
import { type Session, sessionMiddleware } from "hono-sessions";
import { AsyncLocalStorage } from "node:async_hooks";
import type { SecurityConfig } from "../config.ts";
import type { AccountsDb } from "../db/accounts/database.ts";
import { DatabaseSessionStore, type SessionTimes } from "../db/accounts/sessions.ts";
import { findUserById, type User } from "../db/accounts/users.ts";
import { StoreUnavailableError } from "../lib/errors.ts";
import type { AppEnv } from "../http/env.ts";
import { endDraftScope } from "./draft_scope.ts";
import { isHttps } from "./security_headers.ts";

export const SESSION_COOKIE = "spm_session";

/**
 * Per request, what hono-sessions does not pass on: an outage met while the session was loaded
 * (it swallows errors), whether to read without noting the use, and the session's times.
 */
interface LoadScope {
  error?: unknown;
  peek?: boolean;
  times?: SessionTimes;
  /** The account of the session's row, read with it (`undefined`: not read). */
  user?: User | null;
}
const loading = new AsyncLocalStorage<LoadScope>();

class OutageAwareStore extends DatabaseSessionStore {
  override async getSessionById(id?: string) {
    const scope = loading.getStore();
    try {
      const stored = await super.readSession(id, !scope?.peek);
      if (stored && scope) {
        scope.times = { createdAt: stored.createdAt, lastSeenAt: stored.lastSeenAt };
        scope.user = stored.user;
      }
      return stored?.data ?? null;
    } catch (error) {
      if (scope) scope.error = error;
      throw error;
    }
  }
}

/** A bearer-token API call carries no cookies, and gets no session. */
function needsSession(c: Context): boolean {
  const path = c.req.path;
  return !((path === "/api" || path.startsWith("/api/")) && c.req.header("Authorization"));
}

export interface SessionOptions {
  accounts: AccountsDb;
  security: SecurityConfig;
  /** The key of the sessions table's keys (HMAC of the cookie's id). */
  secret: string;
  /** Paths whose requests read the session without extending it (`GET /session`). */
  peekPaths?: readonly string[];
}

/** The header telling a page how long its session has left after this request (ms). */
export const SESSION_LEFT_HEADER = "X-Session-Ends-In";

/** Loads the session and the user it belongs to (`c.get("user")`, null when logged out). */
export function sessions(options: SessionOptions): MiddlewareHandler<AppEnv> {
  const { accounts, security, secret } = options;
  const peekPaths = new Set(options.peekPaths ?? []);
  const store = new OutageAwareStore(accounts, {
    idleMs: security.sessionIdleMs,
    absoluteMs: security.sessionAbsoluteMs,
  }, secret);
  // The cookie carries the session's random id as it is (the table keeps only its hash): sealing
  // it with Iron on every request cost more than the rest of a page.
  const make = (secure: boolean) =>
    sessionMiddleware({
      store,
      sessionCookieName: SESSION_COOKIE,
      autoExtendExpiration: false,
      cookieOptions: { path: "/", httpOnly: true, sameSite: "Lax", secure },
    });
  const plain = make(false);
  const secure = make(true);

  return async function session(c, next) {
    c.set("sessionStore", store);
    if (!needsSession(c)) return await next();
    const scope: LoadScope = { peek: c.req.method === "GET" && peekPaths.has(c.req.path) };
    const middleware = isHttps(c.req.url, c.req.header("X-Forwarded-Proto")) ? secure : plain;
    await loading.run(scope, () =>
      middleware(c, async () => {
        if (scope.error) {
          // The accounts database is down: answer 503 and keep the browser's cookie as it is.
          c.header("Set-Cookie", undefined);
          throw scope.error instanceof StoreUnavailableError
            ? scope.error
            : new StoreUnavailableError("users", { cause: scope.error });
        }
        await loadUser(c, accounts, scope.user);
        if (scope.times) c.set("sessionTimes", scope.times);
        const left = sessionTimeLeft(c, security);
        if (left) c.header(SESSION_LEFT_HEADER, String(left.endsInMs));
        await next();
      }));
    dropUnusedCookie(c);
  };
}

/** A session that holds nothing was not stored: send no cookie for it either. */
function dropUnusedCookie(c: Context<AppEnv>): void {
  const cache = c.get("session")?.getCache();
  if (!cache || cache._delete || Object.keys(cache._data ?? {}).length > 0) return;
  const headers = c.res.headers;
  const kept = headers.getSetCookie().filter((cookie) => !cookie.startsWith(`${SESSION_COOKIE}=`));
  try {
    headers.delete("Set-Cookie");
    for (const cookie of kept) headers.append("Set-Cookie", cookie);
  } catch {
    // An immutable response (none of ours): the unused cookie is harmless.
  }
}

/**
 * The session's user: the account read with the session's row when it is the one the session
 * names (always, but for a row written before the row kept its user), else read now.
 */
async function loadUser(
  c: Context<AppEnv>,
  accounts: AccountsDb,
  withRow: User | null | undefined,
): Promise<void> {
  const session = c.get("session");
  const userId = session.get("user_id");
  if (typeof userId !== "number") return;
  const user = withRow?.id === userId ? withRow : await findUserById(accounts, userId);
  if (user && !user.locked) c.set("user", user);
  else session.forget("user_id"); // the account was deleted or locked meanwhile
}

/** How long the logged-in session of this request has left, and which limit ends it. */
export interface SessionTimeLeft {
  endsInMs: number;
  /** `idle`: using the app (or "Stay logged in") extends it; `lifetime`: nothing does. */
  endsBy: "idle" | "lifetime";
}

/** The time left of the request's session, or null when nobody is logged in. */
export function sessionTimeLeft(
  c: Context<AppEnv>,
  security: Pick<SecurityConfig, "sessionIdleMs" | "sessionAbsoluteMs">,
  now = Date.now(),
): SessionTimeLeft | null {
  const times = c.get("sessionTimes");
  if (!c.get("user") || !times) return null;
  const idle = times.lastSeenAt + security.sessionIdleMs - now;
  const lifetime = times.createdAt + security.sessionAbsoluteMs - now;
  return {
    endsInMs: Math.max(0, Math.min(idle, lifetime)),
    endsBy: lifetime < idle ? "lifetime" : "idle",
  };
}

/** Starts the user's session under a new id (no fixation: the cookie from before is not the one after). */
export function logIn(c: Context<AppEnv>, userId: number): void {
  const session = c.get("session");
  session.set("user_id", userId);
  session.forget("csrf");
  c.set("session_key_rotation", true);
}

/** Ends the session server-side and removes the cookie; drafts kept under it are not put back. */
export function logOut(c: Context<AppEnv>): void {
  c.get("session").deleteSession();
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  endDraftScope(c);
}

/** The session flash naming a just-deleted patient, whose Undo the next page offers. */
export const UNDO_FLASH = "undo";

/** What the Undo of a delete needs: the patient, and the registry it was deleted in. */
export interface UndoFlash {
  id: number;
  registry: { registryId: string; personal: boolean };
}

/**
 * Leaves the Undo of deleting patient `id` for the next page, with the registry of the request:
 * the Undo restores there, whichever page (of whichever registry) shows it.
 */
export function flashUndo(c: Context<AppEnv>, id: number): void {
  const registry = c.get("registry");
  const kept: UndoFlash = {
    id,
    registry: registry
      ? { registryId: registry.registryId, personal: registry.personal }
      : { registryId: "", personal: true },
  };
  c.get("session").flash(UNDO_FLASH, kept);
}

/**
 * The Undo the previous request left, taken (it shows once); null when there is none. A bare id
 * (kept by a version before registries) is the personal registry's.
 */
export function takeUndo(session: Session | undefined): UndoFlash | null {
  const kept = session?.get(UNDO_FLASH) as unknown;
  if (typeof kept === "number") return { id: kept, registry: { registryId: "", personal: true } };
  if (typeof kept !== "object" || kept === null) return null;
  const { id, registry } = kept as Partial<UndoFlash>;
  if (typeof id !== "number" || typeof registry?.registryId !== "string") return null;
  return {
    id,
    registry: { registryId: registry.registryId, personal: registry.personal === true },
  };
}

/** A message for the next page the user sees. */
export function flash(c: Context<AppEnv>, message: string): void {
  c.get("session").flash("flash", message);
}

export type { Session };
