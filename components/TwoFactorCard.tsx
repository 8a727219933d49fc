/** The profile's two-factor section: off, being set up (QR code and key), or on. */
import { raw } from "hono/html";
import { qrSvg } from "../lib/qr_svg.ts";
import { formatTime } from "../lib/time_format.ts";
import { otpauthUri } from "../lib/totp.ts";
import { Card, CsrfField, Field, type FieldErrors, FormAlert } from "./Form.tsx";

/** The name authenticator apps show beside the account. */
export const TOTP_ISSUER = "Stroke Patient Management";

export interface TwoFactorCardProps {
  email: string;
  csrfToken: string;
  /** The stored state: null when off; `enabledAt` null while a setup waits for its code. */
  state: { secret: string; enabledAt: Date | null } | null;
  /** Recovery codes not used yet (when on). */
  codesLeft: number;
  /** Recovery codes just made: shown this once. */
  newCodes?: string[] | undefined;
  errors?: FieldErrors | undefined;
}

/** The base32 key in groups of four, as people copy it. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

const CODE_FIELD = {
  name: "code",
  label: "Code from your app",
  autocomplete: "one-time-code",
  required: true,
  maxlength: 64,
} as const;

function Setup({ email, csrfToken, secret, errors }: {
  email: string;
  csrfToken: string;
  secret: string;
  errors: FieldErrors;
}) {
  const svg = qrSvg(otpauthUri({ secret, account: email, issuer: TOTP_ISSUER }), {
    label: "QR code of your two-factor key",
    size: 200,
  });
  return (
    <>
      <ol class="two-factor-steps">
        <li>
          Scan this QR code with an authenticator app (such as FreeOTP, Aegis, Google or Microsoft
          Authenticator):
          <div class="qr-code">{raw(svg)}</div>
          <p>
            or type this key into the app:{" "}
            <code class="totp-key" id="totp-key">
              {grouped(secret)}
            </code>
          </p>
        </li>
        <li>Enter the 6-digit code the app shows, to confirm that it works.</li>
      </ol>
      <form method="post" action="/profile/two-factor/enable" class="inline-form" novalidate>
        <CsrfField token={csrfToken} />
        <Field {...CODE_FIELD} idPrefix="setup-" error={errors.setup_code} autofocus />
        <button type="submit">Turn on</button>
      </form>
      <form method="post" action="/profile/two-factor/cancel" class="two-factor-cancel">
        <CsrfField token={csrfToken} />
        <button type="submit" class="button-secondary button-small">Cancel the setup</button>
      </form>
    </>
  );
}

/** The recovery codes as a text file says them (the download beside the list). */
export function recoveryCodesText(email: string, codes: string[]): string {
  return [
    `${TOTP_ISSUER}: recovery codes for ${email}`,
    "Each code logs you in once, instead of a code from your app. Keep them somewhere safe.",
    "",
    ...codes.map((code, i) => `${String(i + 1).padStart(2, " ")}. ${code}`),
    "",
  ].join("\n");
}

function NewCodes({ codes, email }: { codes: string[]; email: string }) {
  // A data: link: the codes never leave the page for a server address.
  const file = `data:text/plain;charset=utf-8,${
    encodeURIComponent(recoveryCodesText(email, codes))
  }`;
  return (
    <div class="alert alert-ok recovery-codes-box" role="status" data-print-area>
      <p>
        <strong>Your recovery codes.</strong>{" "}
        Save them somewhere safe now: they are not shown again. Each one logs you in once if you
        lose your phone.
      </p>
      <ol class="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => <li>{code}</li>)}
      </ol>
      <p class="actions recovery-actions">
        <a class="button button-small" href={file} download="recovery-codes.txt">
          Download as a text file
        </a>
        {/* Shown by the script, which opens the print dialog (the page prints the codes only). */}
        <button type="button" class="button-small button-secondary" data-print hidden>
          Print
        </button>
      </p>
    </div>
  );
}

function On({ email, csrfToken, enabledAt, codesLeft, newCodes, errors }: {
  email: string;
  csrfToken: string;
  enabledAt: Date;
  codesLeft: number;
  newCodes?: string[] | undefined;
  errors: FieldErrors;
}) {
  return (
    <>
      <p>
        <strong>On</strong> since{" "}
        {formatTime(enabledAt)}. Logging in asks for a code from your app after the password.{" "}
        {codesLeft} recovery code{codesLeft === 1 ? "" : "s"} left.
      </p>
      {newCodes && <NewCodes codes={newCodes} email={email} />}
      <div class="grid-2 two-factor-forms">
        <form method="post" action="/profile/two-factor/recovery-codes" class="stack" novalidate>
          <h3>New recovery codes</h3>
          <CsrfField token={csrfToken} />
          <Field {...CODE_FIELD} idPrefix="codes-" error={errors.codes_code} />
          <p class="hint">Replaces your recovery codes by ten new ones.</p>
          <button type="submit" class="button-secondary">Make new recovery codes</button>
        </form>
        <form method="post" action="/profile/two-factor/disable" class="stack" novalidate>
          <h3>Turn off</h3>
          <CsrfField token={csrfToken} />
          <Field
            name="password"
            idPrefix="off-"
            label="Your password"
            type="password"
            autocomplete="current-password"
            error={errors.off_password}
            required
          />
          <Field {...CODE_FIELD} idPrefix="off-" error={errors.off_code} />
          <button type="submit" class="button-danger">Turn off two-factor authentication</button>
        </form>
      </div>
    </>
  );
}

export function TwoFactorCard(props: TwoFactorCardProps) {
  const { state, csrfToken, errors = {} } = props;
  return (
    <Card title="Two-factor authentication" id="two-factor">
      <FormAlert message={errors.form} />
      {state === null && (
        <>
          <p>
            Protect your account with a second step at login: a 6-digit code from an authenticator
            app on your phone, which changes every 30 seconds.
          </p>
          <form method="post" action="/profile/two-factor/setup">
            <CsrfField token={csrfToken} />
            <button type="submit">Set up two-factor authentication</button>
          </form>
        </>
      )}
      {state && !state.enabledAt && (
        <Setup email={props.email} csrfToken={csrfToken} secret={state.secret} errors={errors} />
      )}
      {state?.enabledAt && (
        <On
          email={props.email}
          csrfToken={csrfToken}
          enabledAt={state.enabledAt}
          codesLeft={props.codesLeft}
          newCodes={props.newCodes}
          errors={errors}
        />
      )}
    </Card>
  );
}
