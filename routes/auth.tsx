/**
 * Register, log in (with the second factor's code when it is on) and log out, with the original
 * app's form field names.
 */
import { type Context, Hono } from "hono";
import { LoginCodePage, LoginPage, RegisterPage, withNext } from "../components/AuthPages.tsx";
import type { FieldErrors } from "../components/Form.tsx";
import { EmailTakenError } from "../lib/errors.ts";
import { recordLogin } from "../db/accounts/admin.ts";
import { beginAttempt, registrationKeys } from "../db/accounts/login_throttle.ts";
import { createUser, findUserByEmail, findUserById, normalizeEmail } from "../db/accounts/users.ts";
import { emailProblem, nameProblem, passwordProblems } from "../lib/account_rules.ts";
import { hashPassword } from "../lib/passwords.ts";
import { HOME_AFTER_LOGIN } from "../middleware/require_user.ts";
import { safeNext } from "../lib/safe_url.ts";
import { ACCOUNT_LOCKED, retryInWords, WRONG_CREDENTIALS } from "../lib/accounts/credentials.ts";
import { WRONG_CODE } from "../lib/accounts/second_factor.ts";
import { csrfToken } from "../middleware/csrf.ts";
import type { AppEnv } from "../http/env.ts";
import { formText } from "../http/form_body.ts";
import { throttled } from "../http/throttled.ts";
import { flash, logIn, logOut } from "../middleware/session.ts";

const EMAIL_TAKEN = "An account with this email already exists. Log in instead?";

/** The session key of a login whose password was right and whose code is still to come. */
const PENDING_LOGIN = "pending_login";
/** How long the code may take after the password. */
const PENDING_LOGIN_MS = 5 * 60_000;

/**
 * The user whose password was right in this browser within the last five minutes, waiting for
 * the second step; null when there is none (or it is too old, which forgets it).
 */
function pendingLogin(c: Context<AppEnv>): number | null {
  const session = c.get("session");
  const pending = session.get(PENDING_LOGIN) as { user_id?: unknown; at?: unknown } | null;
  if (
    typeof pending?.user_id === "number" && typeof pending.at === "number" &&
    Date.now() - pending.at < PENDING_LOGIN_MS
  ) {
    return pending.user_id;
  }
  if (pending) session.forget(PENDING_LOGIN);
  return null;
}

/**
 * Answers a refused login step: 429 with `Retry-After` when it was throttled, else 401. Returns
 * the message to show: `wrong`, or how long to wait.
 */
function refuseLoginStep(c: Context, throttledForMs: number, wrong: string): string {
  if (throttledForMs <= 0) {
    c.status(401);
    return wrong;
  }
  c.status(429);
  return throttled(c, throttledForMs);
}

export const authRoutes = new Hono<AppEnv>();

authRoutes.get("/register", (c) => {
  if (c.get("user")) return c.redirect(HOME_AFTER_LOGIN, 303);
  const next = safeNext(c.req.query("next")) ?? undefined;
  return c.render(
    <RegisterPage csrfToken={csrfToken(c)} values={{}} errors={{}} next={next} />,
    { title: "Create your account" },
  );
});

authRoutes.post("/register", async (c) => {
  const next = safeNext(c.req.query("next")) ?? undefined;
  const name = (await formText(c, "name")).trim();
  const email = normalizeEmail(await formText(c, "email"));
  const password = await formText(c, "password");
  const errors: FieldErrors = {};
  const nameError = nameProblem(name);
  if (nameError) errors.name = nameError;
  const emailError = emailProblem(email);
  if (emailError) errors.email = emailError;
  const [passwordError] = passwordProblems(password, password);
  if (passwordError) errors.password = passwordError;
  else if (password !== await formText(c, "confirm_password")) {
    errors.confirm_password = "The two passwords do not match";
  }
  const { stores, config } = c.get("deps");
  if (Object.keys(errors).length === 0) {
    // Every well-formed registration counts against the client's limit, taken email or not,
    // so that neither password hashing nor email probing can be run at will.
    const keys = registrationKeys(c.get("clientAddress"), config.security.throttle);
    const attempt = await beginAttempt(stores.accounts, keys);
    if (attempt.waitMs > 0) {
      c.status(429);
      c.header("Retry-After", String(Math.ceil(attempt.waitMs / 1000)));
      errors.form = `Too many new accounts from your network. Please try again in ${
        retryInWords(attempt.waitMs)
      }.`;
    } else if (await findUserByEmail(stores.accounts, email)) {
      errors.email = EMAIL_TAKEN;
    } else {
      try {
        const passwordHash = await hashPassword(password, config.security.bcryptCost);
        const user = await createUser(stores.accounts, { name, email, passwordHash });
        // Registries that invited this email now count the account as a member.
        await c.get("registries").acceptInvitations(user.id, user.email);
        await recordLogin(stores.accounts, user.id);
        logIn(c, user.id);
        flash(c, `Welcome, ${user.name}. Your account is ready.`);
        return c.redirect(next ?? HOME_AFTER_LOGIN, 303);
      } catch (error) {
        if (!(error instanceof EmailTakenError)) throw error;
        errors.email = EMAIL_TAKEN; // registered by a concurrent request meanwhile
      }
    }
  }
  if (!errors.form) c.status(422);
  return c.render(
    <RegisterPage csrfToken={csrfToken(c)} values={{ name, email }} errors={errors} next={next} />,
    { title: "Create your account" },
  );
});

authRoutes.get("/login", (c) => {
  const next = safeNext(c.req.query("next")) ?? undefined;
  if (c.get("user")) return c.redirect(next ?? HOME_AFTER_LOGIN, 303);
  const notice = c.req.query("logged_out") !== undefined
    ? "You have logged out."
    : c.req.query("next")
    ? "Please log in to continue."
    : undefined;
  return c.render(<LoginPage csrfToken={csrfToken(c)} notice={notice} next={next} />, {
    title: "Log in",
  });
});

authRoutes.post("/login", async (c) => {
  const next = safeNext(c.req.query("next")) ?? undefined;
  const email = (await formText(c, "email")).trim();
  const password = await formText(c, "password");
  const check = await c.get("accounts").checkCredentials(email, password, c.get("clientAddress"));
  if (check.ok) {
    if (await c.get("accounts").secondFactorOn(check.user.id)) {
      // Not logged in yet: the session only remembers, server-side, whose password was right.
      c.get("session").set(PENDING_LOGIN, { user_id: check.user.id, at: Date.now() });
      c.set("session_key_rotation", true);
      return c.redirect(withNext("/login/code", next), 303);
    }
    logIn(c, check.user.id);
    return c.redirect(next ?? HOME_AFTER_LOGIN, 303);
  }
  let error: string;
  if (check.locked) {
    c.status(403);
    error = ACCOUNT_LOCKED;
  } else error = refuseLoginStep(c, check.throttledForMs, WRONG_CREDENTIALS);
  return c.render(
    <LoginPage csrfToken={csrfToken(c)} email={email} error={error} next={next} />,
    { title: "Log in" },
  );
});

authRoutes.get("/login/code", (c) => {
  const next = safeNext(c.req.query("next")) ?? undefined;
  if (c.get("user")) return c.redirect(next ?? HOME_AFTER_LOGIN, 303);
  if (pendingLogin(c) === null) return c.redirect(withNext("/login", next), 303);
  return c.render(<LoginCodePage csrfToken={csrfToken(c)} next={next} />, {
    title: "Enter your code",
  });
});

authRoutes.post("/login/code", async (c) => {
  const next = safeNext(c.req.query("next")) ?? undefined;
  const userId = pendingLogin(c);
  if (userId === null) {
    flash(c, "The login took too long. Please enter your email and password again.");
    return c.redirect(withNext("/login", next), 303);
  }
  const account = await findUserById(c.get("deps").stores.accounts, userId);
  if (!account || account.locked) {
    // Locked (or deleted) between the password and the code.
    c.get("session").forget(PENDING_LOGIN);
    c.status(403);
    return c.render(
      <LoginPage csrfToken={csrfToken(c)} error={ACCOUNT_LOCKED} next={next} />,
      { title: "Log in" },
    );
  }
  const code = await formText(c, "code");
  const check = await c.get("accounts").checkSecondFactor(userId, code, c.get("clientAddress"));
  if (check.ok) {
    c.get("session").forget(PENDING_LOGIN);
    logIn(c, userId);
    if (check.via === "recovery") {
      flash(c, "You logged in with a recovery code, which now cannot be used again.");
    }
    return c.redirect(next ?? HOME_AFTER_LOGIN, 303);
  }
  const error = refuseLoginStep(c, check.throttledForMs, WRONG_CODE);
  return c.render(<LoginCodePage csrfToken={csrfToken(c)} error={error} next={next} />, {
    title: "Enter your code",
  });
});

authRoutes.post("/logout", (c) => {
  logOut(c);
  return c.redirect("/login?logged_out", 303);
});
