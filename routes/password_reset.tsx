/**
 * Forgot password: `/forgot-password` asks for a link and answers the same whatever the email;
 * `/reset-password/{token}` sets a new password once, ending every session and revoking every
 * token of the account. Without SMTP the app sends nothing and the page says so.
 */
import { type Context, Hono } from "hono";
import {
  ForgotPasswordPage,
  PasswordResetDonePage,
  ResetLinkInvalidPage,
  ResetLinkSentPage,
  ResetPasswordPage,
} from "../components/PasswordResetPages.tsx";
import type { FieldErrors } from "../components/Form.tsx";
import { beginAttempt, passwordResetKeys } from "../db/accounts/login_throttle.ts";
import {
  completePasswordReset,
  createPasswordReset,
  findPasswordReset,
  RESET_LINK_MS,
  resetRecipient,
} from "../db/accounts/password_resets.ts";
import { normalizeEmail } from "../db/accounts/users.ts";
import { emailProblem, passwordProblems } from "../lib/account_rules.ts";
import { entryBy } from "../lib/audit_trail.ts";
import { passwordResetMail } from "../lib/mail_templates.ts";
import { hashPassword } from "../lib/passwords.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { logOut } from "../middleware/session.ts";
import { retryInWords } from "../lib/accounts/credentials.ts";
import type { AppEnv } from "../http/env.ts";
import { formText } from "../http/form_body.ts";
import { linkOrigin } from "../http/links.ts";

export const passwordResetRoutes = new Hono<AppEnv>();

const MINUTES = RESET_LINK_MS / 60_000;
const FORGOT_TITLE = "Forgot your password?";

function forgotPage(c: Context<AppEnv>, email?: string, errors: FieldErrors = {}) {
  return c.render(
    <ForgotPasswordPage
      csrfToken={csrfToken(c)}
      mailEnabled={c.get("deps").mailer.enabled}
      minutes={MINUTES}
      email={email}
      errors={errors}
    />,
    { title: FORGOT_TITLE },
  );
}

function invalidLink(c: Context<AppEnv>) {
  c.status(410);
  return c.render(<ResetLinkInvalidPage minutes={MINUTES} />, {
    title: "This link cannot be used",
  });
}

passwordResetRoutes.get("/forgot-password", (c) => {
  if (c.req.query("sent") !== undefined && c.get("deps").mailer.enabled) {
    return c.render(<ResetLinkSentPage minutes={MINUTES} />, { title: "Check your email" });
  }
  return forgotPage(c);
});

passwordResetRoutes.post("/forgot-password", async (c) => {
  const { stores, config, mailer, log } = c.get("deps");
  // Without SMTP nothing is made or sent; the page says whom to ask instead.
  if (!mailer.enabled) return forgotPage(c);
  const email = normalizeEmail(await formText(c, "email"));
  const problem = emailProblem(email);
  if (problem) {
    c.status(422);
    return forgotPage(c, email, { email: problem });
  }
  // Counted per email and per client whether an account has the email or not, so the limit says
  // nothing about accounts either.
  const keys = passwordResetKeys(email, c.get("clientAddress"), config.security.resetThrottle);
  const attempt = await beginAttempt(stores.accounts, keys);
  if (attempt.waitMs > 0) {
    c.status(429);
    c.header("Retry-After", String(Math.ceil(attempt.waitMs / 1000)));
    return forgotPage(c, email, {
      form: `Too many reset links were asked for. Please try again in ${
        retryInWords(attempt.waitMs)
      }.`,
    });
  }
  const requestId = c.get("requestId");
  const origin = linkOrigin(c);
  if (origin === null) {
    log(
      `${
        new Date().toISOString()
      } ${requestId} password reset not offered: set PUBLIC_URL (or ALLOWED_HOSTS) so that links in email point at this app`,
    );
  } else {
    // The same statement for every email (a link that works only for an account that is not
    // locked); whether a message is due is found out after the answer, so neither the work nor
    // its time depends on the account.
    const reset = await createPasswordReset(stores.accounts, email, "email");
    mailer.sendLater(async () => {
      // The account's address as stored, never the one typed; none for a link that cannot work.
      const to = await resetRecipient(stores.accounts, reset.token);
      const link = `${origin}/reset-password/${reset.token}`;
      return to ? { to, ...passwordResetMail(link, MINUTES) } : null;
    }, { log, requestId, purpose: "password reset" });
  }
  return c.redirect("/forgot-password?sent", 303);
});

passwordResetRoutes.get(
  "/reset-password/done",
  (c) => c.render(<PasswordResetDonePage />, { title: "Your password is changed" }),
);

passwordResetRoutes.get("/reset-password/:token", async (c) => {
  const token = c.req.param("token");
  // Looking does not use the link (mail scanners open links too).
  const target = await findPasswordReset(c.get("deps").stores.accounts, token);
  if (!target) return invalidLink(c);
  return c.render(
    <ResetPasswordPage
      csrfToken={csrfToken(c)}
      action={`/reset-password/${token}`}
      email={target.email}
    />,
    { title: "Choose a new password" },
  );
});

passwordResetRoutes.post("/reset-password/:token", async (c) => {
  const { stores, config, log } = c.get("deps");
  const token = c.req.param("token");
  const target = await findPasswordReset(stores.accounts, token);
  if (!target) return invalidLink(c);
  const password = await formText(c, "new_password");
  const confirmation = await formText(c, "confirm_new_password");
  const errors: FieldErrors = {};
  const [problem] = passwordProblems(password, password);
  if (problem) errors.new_password = problem;
  else if (password !== confirmation) {
    errors.confirm_new_password = "The two passwords do not match";
  }
  if (Object.keys(errors).length > 0) {
    c.status(422);
    return c.render(
      <ResetPasswordPage
        csrfToken={csrfToken(c)}
        action={`/reset-password/${token}`}
        email={target.email}
        errors={errors}
      />,
      { title: "Choose a new password" },
    );
  }
  const passwordHash = await hashPassword(password, config.security.bcryptCost);
  // Only one use can mark the link used; a second (or a race) finds it used.
  const done = await completePasswordReset(stores.accounts, token, passwordHash);
  if (!done) return invalidLink(c);
  // Whoever is logged in in this browser is logged out too: had it been this account, the
  // session would otherwise be written back at the end of the request.
  if (c.get("user")) logOut(c);
  const entry = entryBy(
    { userId: done.userId, client: c.get("clientAddress"), requestId: c.get("requestId") },
    "password_reset",
    null,
    {
      details: {
        via: done.madeBy === "admin" ? "admin_link" : "email",
        sessions_ended: done.sessionsEnded,
        tokens_revoked: done.tokensRevoked,
      },
    },
  );
  // The password is changed already: an audit log that cannot be written is logged, not shown.
  await stores.patients.audit.append([entry]).catch((error) =>
    log(
      `${new Date().toISOString()} ${
        c.get("requestId")
      } audit entry of the password reset of user ${done.userId} not written: ${
        (error as Error).message
      }`,
    )
  );
  return c.redirect("/reset-password/done", 303);
});
