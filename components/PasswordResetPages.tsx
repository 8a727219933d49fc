/** The forgot-password pages: ask for a link, "check your email", choose a new password, done, and a link that cannot be used. */
import { ACCOUNT_RULES, PASSWORD_HINT } from "../lib/account_rules.ts";
import { CsrfField, Field, type FieldErrors, FormAlert } from "./Form.tsx";

/** The words for an installation that sends no email (the page says so rather than pretend). */
export const NO_EMAIL_NOTICE =
  "This installation does not send email, so it cannot send you a reset link. Ask an administrator for a reset link.";

export interface ForgotPasswordPageProps {
  csrfToken: string;
  /** False: no SMTP server is configured; the page says so and shows no form. */
  mailEnabled: boolean;
  /** How long a link works (minutes). */
  minutes: number;
  email?: string | undefined;
  errors?: FieldErrors;
}

export function ForgotPasswordPage(
  { csrfToken, mailEnabled, minutes, email, errors = {} }: ForgotPasswordPageProps,
) {
  return (
    <section class="auth" aria-labelledby="forgot-heading">
      <h1 id="forgot-heading">Forgot your password?</h1>
      {mailEnabled
        ? (
          <>
            <p class="lead">
              Enter the email of your account. We will send it a link to choose a new password; the
              link works once, within {minutes} minutes.
            </p>
            <FormAlert message={errors.form} />
            <form method="post" action="/forgot-password" class="stack" novalidate>
              <CsrfField token={csrfToken} />
              <Field
                name="email"
                label="Email"
                type="email"
                value={email}
                error={errors.email}
                autocomplete="email"
                required
                maxlength={ACCOUNT_RULES.email.max}
                autofocus
              />
              <button type="submit">Send me a link</button>
            </form>
          </>
        )
        : (
          <p class="alert alert-note" role="status">
            {NO_EMAIL_NOTICE} (Administrators make one with{" "}
            <code>deno task admin reset-link &lt;email&gt;</code>.)
          </p>
        )}
      <p>
        Remembered it? <a href="/login">Log in</a>
      </p>
    </section>
  );
}

/** The one answer to every request for a link, whether an account has that email or not. */
export function ResetLinkSentPage({ minutes }: { minutes: number }) {
  return (
    <section class="auth" aria-labelledby="sent-heading">
      <h1 id="sent-heading">Check your email</h1>
      <p class="alert alert-ok" role="status">
        If an account has this email, we have sent it a link to choose a new password.
      </p>
      <p>
        The link works once, within {minutes}{" "}
        minutes. Nothing arrived after a few minutes? Look in your spam folder, or{" "}
        <a href="/forgot-password">ask for a new link</a>.
      </p>
      <p>
        <a href="/login">Back to log in</a>
      </p>
    </section>
  );
}

export interface ResetPasswordPageProps {
  csrfToken: string;
  /** Where the form posts: the link itself. */
  action: string;
  /** The account's email, for password managers (and so the person knows which account). */
  email: string;
  errors?: FieldErrors;
}

/** The form behind a link: the new password twice, under the registration's rules. */
export function ResetPasswordPage(
  { csrfToken, action, email, errors = {} }: ResetPasswordPageProps,
) {
  const first = errors.new_password || !errors.confirm_new_password
    ? "new_password"
    : "confirm_new_password";
  return (
    <section class="auth" aria-labelledby="reset-heading">
      <h1 id="reset-heading">Choose a new password</h1>
      <p class="lead">
        For the account{" "}
        <strong>{email}</strong>. Saving it logs this account out everywhere and revokes its API
        tokens.
      </p>
      <FormAlert message={errors.form} />
      <form method="post" action={action} class="stack" novalidate>
        <CsrfField token={csrfToken} />
        <input
          type="email"
          name="username"
          value={email}
          autocomplete="username"
          hidden
          readonly
        />
        <Field
          name="new_password"
          label="New password"
          type="password"
          error={errors.new_password}
          hint={PASSWORD_HINT}
          autocomplete="new-password"
          required
          autofocus={first === "new_password"}
        />
        <Field
          name="confirm_new_password"
          label="Confirm new password"
          type="password"
          error={errors.confirm_new_password}
          autocomplete="new-password"
          required
          autofocus={first === "confirm_new_password"}
        />
        <button type="submit">Save the new password</button>
      </form>
    </section>
  );
}

/** After the new password is saved. */
export function PasswordResetDonePage() {
  return (
    <section class="auth" aria-labelledby="done-heading">
      <h1 id="done-heading">Your password is changed</h1>
      <p class="alert alert-ok" role="status">
        Every session of your account has ended and its API tokens are revoked.
      </p>
      <p>
        Log in with your new password. If your account asks for a code from an authenticator app, it
        still does.
      </p>
      <p>
        <a class="button" href="/login">Log in</a>
      </p>
    </section>
  );
}

/** One page for a link that is unknown, used already, or expired: which of them is not said. */
export function ResetLinkInvalidPage({ minutes }: { minutes: number }) {
  return (
    <section class="auth" aria-labelledby="invalid-heading">
      <h1 id="invalid-heading">This link cannot be used</h1>
      <p class="alert alert-error" role="alert">
        A password-reset link works once, within {minutes}{" "}
        minutes. This one has been used, has expired, or is not complete (check that you opened all
        of it).
      </p>
      <p>
        <a class="button" href="/forgot-password">Ask for a new link</a>
      </p>
    </section>
  );
}
