/** The register and log-in pages, with the original app's field names. */
import type { Child } from "hono/jsx";
import { ACCOUNT_RULES, PASSWORD_HINT } from "../lib/account_rules.ts";
import { CsrfField, Field, type FieldErrors, FormAlert } from "./Form.tsx";

export interface RegisterPageProps {
  csrfToken: string;
  values: { name?: string; email?: string };
  errors: FieldErrors;
  next?: string | undefined;
}

/** `path` with `?next=` when there is somewhere to go back to. */
export function withNext(path: string, next?: string): string {
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}

/** An auth page's form: its alert, then the form posting to `action` with the CSRF field. */
function AuthForm(
  { action, next, csrfToken, error, children }: {
    action: string;
    next?: string | undefined;
    csrfToken: string;
    error?: string | undefined;
    children?: Child;
  },
) {
  return (
    <>
      <FormAlert message={error} />
      <form method="post" action={withNext(action, next)} class="stack" novalidate>
        <CsrfField token={csrfToken} />
        {children}
      </form>
    </>
  );
}

/** The register form's fields, in order: after a refusal the first one marked has the focus. */
const REGISTER_FIELDS = ["name", "email", "password", "confirm_password"] as const;

export function RegisterPage({ csrfToken, values, errors, next }: RegisterPageProps) {
  const first = REGISTER_FIELDS.find((field) => errors[field]) ?? "name";
  return (
    <section class="auth" aria-labelledby="register-heading">
      <h1 id="register-heading">Create your account</h1>
      <p class="lead">Your patient records are visible only to you.</p>
      <AuthForm action="/register" next={next} csrfToken={csrfToken} error={errors.form}>
        <Field
          name="name"
          label="Name"
          value={values.name}
          error={errors.name}
          autocomplete="name"
          required
          maxlength={ACCOUNT_RULES.name.max}
          autofocus={first === "name"}
        />
        <Field
          name="email"
          label="Email"
          type="email"
          value={values.email}
          error={errors.email}
          autocomplete="email"
          required
          maxlength={ACCOUNT_RULES.email.max}
          autofocus={first === "email"}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          hint={PASSWORD_HINT}
          autocomplete="new-password"
          required
          autofocus={first === "password"}
        />
        <Field
          name="confirm_password"
          label="Confirm password"
          type="password"
          error={errors.confirm_password}
          autocomplete="new-password"
          required
          autofocus={first === "confirm_password"}
        />
        <button type="submit">Create account</button>
      </AuthForm>
      <p>
        Already registered? <a href={withNext("/login", next)}>Log in</a>
      </p>
    </section>
  );
}

export interface LoginPageProps {
  csrfToken: string;
  email?: string | undefined;
  error?: string | undefined;
  notice?: string | undefined;
  next?: string | undefined;
}

export function LoginPage({ csrfToken, email, error, notice, next }: LoginPageProps) {
  return (
    <section class="auth" aria-labelledby="login-heading">
      <h1 id="login-heading">Log in</h1>
      <FormAlert message={notice} kind="ok" />
      <AuthForm action="/login" next={next} csrfToken={csrfToken} error={error}>
        <Field
          name="email"
          label="Email"
          type="email"
          value={email}
          autocomplete="username"
          required
          autofocus={!email}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          required
          autofocus={!!email}
        />
        <button type="submit">Log in</button>
      </AuthForm>
      <p>
        <a href="/forgot-password">Forgot your password?</a>
      </p>
      <p>
        New here? <a href={withNext("/register", next)}>Create an account</a>
      </p>
    </section>
  );
}

export interface LoginCodePageProps {
  csrfToken: string;
  error?: string | undefined;
  next?: string | undefined;
}

/** The login's second step: the code from the authenticator app, or a recovery code. */
export function LoginCodePage({ csrfToken, error, next }: LoginCodePageProps) {
  return (
    <section class="auth" aria-labelledby="code-heading">
      <h1 id="code-heading">Enter your code</h1>
      <p class="lead">
        Your password is right. Now open your authenticator app and enter the 6-digit code it shows
        for Stroke Patient Management. (Not you?{" "}
        <a href={withNext("/login", next)}>Start again</a>.)
      </p>
      <AuthForm action="/login/code" next={next} csrfToken={csrfToken} error={error}>
        <Field
          name="code"
          label="Code"
          hint="Lost your phone? Enter one of your recovery codes instead."
          autocomplete="one-time-code"
          required
          maxlength={64}
          autofocus
        />
        <button type="submit">Log in</button>
      </AuthForm>
    </section>
  );
}
