/** Register, log in and log out, with the original app's form field names; and its old paths. */
import { Hono } from "hono";
import { LoginPage, RegisterPage } from "../components/AuthPages.tsx";
import type { FieldErrors } from "../components/Form.tsx";
import { EmailTakenError } from "../lib/errors.ts";
import { recordLogin } from "../db/admin.ts";
import { beginAttempt, registrationKeys } from "../db/login_throttle.ts";
import { createUser, findUserByEmail, normalizeEmail } from "../db/users.ts";
import { emailProblem, nameProblem, passwordProblems } from "../lib/account_rules.ts";
import { hashPassword } from "../lib/passwords.ts";
import { HOME_AFTER_LOGIN } from "../middleware/require_user.ts";
import { safeNext } from "../lib/safe_url.ts";
import {
  ACCOUNT_LOCKED,
  checkCredentials,
  credentialDeps,
  retryInWords,
  tooManyAttempts,
  WRONG_CREDENTIALS,
} from "./credentials.ts";
import { csrfToken } from "../middleware/csrf.ts";
import type { AppEnv } from "./env.ts";
import { formText } from "./form_body.ts";
import { flash, logIn, logOut } from "../middleware/session.ts";

const EMAIL_TAKEN = "An account with this email already exists. Log in instead?";

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
  const check = await checkCredentials(credentialDeps(c), email, password, c.get("clientAddress"));
  if (check.ok) {
    logIn(c, check.user.id);
    return c.redirect(next ?? HOME_AFTER_LOGIN, 303);
  }
  let error = WRONG_CREDENTIALS;
  if (check.locked) {
    c.status(403);
    error = ACCOUNT_LOCKED;
  } else if (check.throttledForMs > 0) {
    c.header("Retry-After", String(Math.ceil(check.throttledForMs / 1000)));
    c.status(429);
    error = tooManyAttempts(check.throttledForMs);
  } else {
    c.status(401);
  }
  return c.render(
    <LoginPage csrfToken={csrfToken(c)} email={email} error={error} next={next} />,
    { title: "Log in" },
  );
});

authRoutes.post("/logout", (c) => {
  logOut(c);
  return c.redirect("/login?logged_out", 303);
});

// The original app's paths.
authRoutes.get("/home", (c) => c.redirect("/", 301));
authRoutes.all("/update_password", (c) => c.redirect("/profile#password", 301));
