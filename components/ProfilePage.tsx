/** The profile: name, password, API tokens and account deletion, each in its own form. */
import { formatTime } from "../lib/time_format.ts";
import { ACCOUNT_RULES, PASSWORD_HINT } from "../lib/account_rules.ts";
import { Card, CsrfField, Field, type FieldErrors, FormAlert } from "./Form.tsx";
import { TimeZoneCard, type TimeZoneCardProps } from "./TimeZoneCard.tsx";
import { TwoFactorCard, type TwoFactorCardProps } from "./TwoFactorCard.tsx";

/** An API token as the profile lists it (never its secret). */
export interface TokenView {
  id: number;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** A token just made: its secret, shown this once. */
export interface NewTokenView extends TokenView {
  token: string;
}

export interface ProfileErrors {
  name?: FieldErrors | undefined;
  password?: FieldErrors | undefined;
  token?: FieldErrors | undefined;
  delete?: FieldErrors | undefined;
  twoFactor?: FieldErrors | undefined;
  timeZone?: FieldErrors | undefined;
}

export interface ProfilePageProps {
  user: { name: string; email: string };
  csrfToken: string;
  tokens: TokenView[];
  /** A token just created: its secret is shown this once. */
  newToken?: NewTokenView | undefined;
  errors?: ProfileErrors | undefined;
  /** What the user typed in the name form, when it was refused. */
  nameValue?: string | undefined;
  /** The second factor's state (the card's own props but those the page has). */
  twoFactor: Pick<TwoFactorCardProps, "state" | "codesLeft" | "newCodes">;
  /** The time zone chosen and the installation's (the card's own props but those the page has). */
  timeZone: Pick<TimeZoneCardProps, "chosen" | "installation" | "value">;
}

function TokenList({ tokens }: { tokens: TokenView[] }) {
  if (tokens.length === 0) return <p class="muted">You have no API tokens.</p>;
  return (
    <div class="table-wrap">
      <table class="table tokens">
        <caption class="visually-hidden">Your API tokens</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr>
              <td>{token.name}</td>
              <td>{formatTime(token.created_at)}</td>
              <td>{token.last_used_at ? formatTime(token.last_used_at) : "Never"}</td>
              <td>
                {/* Opens a confirmation page; revoking happens there. */}
                <form method="get" action={`/profile/tokens/${token.id}/revoke`}>
                  <button
                    type="submit"
                    class="button-danger button-small"
                    aria-label={`Revoke ${token.name}`}
                  >
                    Revoke
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A token just created, at the top of the page (in view), with a Copy button. */
function NewToken({ token }: { token: NewTokenView }) {
  return (
    <div class="alert alert-ok" role="status">
      <p>
        <strong>Token “{token.name}” created.</strong> Copy it now: it will not be shown again.
      </p>
      <label for="new-token">Your new token</label>
      <div class="copy-row">
        <input id="new-token" class="token-value" readonly value={token.token} autofocus />
        {/* Shown by the script, which does the copying. */}
        <button type="button" class="button-small" data-copy="new-token" hidden>Copy</button>
      </div>
    </div>
  );
}

/** Asks before a token is revoked (scripts using it stop working). */
export function RevokeTokenPage(
  { token, csrfToken }: { token: TokenView; csrfToken: string },
) {
  return (
    <>
      <p class="back">
        <a href="/profile#tokens">← Your profile</a>
      </p>
      <h1>Revoke the token “{token.name}”?</h1>
      <p class="lead">Scripts and systems that use it can no longer read or write your records.</p>
      <form method="post" action={`/profile/tokens/${token.id}/revoke`} class="actions">
        <CsrfField token={csrfToken} />
        <button type="submit" class="button-danger" autofocus>Revoke “{token.name}”</button>
        <a class="button button-secondary" href="/profile#tokens">Keep it</a>
      </form>
    </>
  );
}

export function ProfilePage(props: ProfilePageProps) {
  const { user, csrfToken, tokens, newToken, errors = {} } = props;
  return (
    <>
      <h1>Your profile</h1>
      <p class="lead">Signed in as {user.email}</p>
      {newToken && <NewToken token={newToken} />}
      <div class="grid-2">
        <Card title="Name" id="name">
          <form method="post" action="/profile" class="stack" novalidate>
            <CsrfField token={csrfToken} />
            <Field
              name="name"
              idPrefix="profile-"
              label="Name"
              value={props.nameValue ?? user.name}
              error={errors.name?.name}
              autocomplete="name"
              required
              maxlength={ACCOUNT_RULES.name.max}
            />
            <button type="submit">Save name</button>
          </form>
        </Card>

        <Card title="Password" id="password">
          <form method="post" action="/profile/password" class="stack" novalidate>
            <CsrfField token={csrfToken} />
            <Field
              name="old_password"
              label="Current password"
              type="password"
              error={errors.password?.old_password}
              autocomplete="current-password"
              required
            />
            <Field
              name="new_password"
              label="New password"
              type="password"
              error={errors.password?.new_password}
              hint={PASSWORD_HINT}
              autocomplete="new-password"
              required
            />
            <Field
              name="confirm_new_password"
              label="Confirm new password"
              type="password"
              error={errors.password?.confirm_new_password}
              autocomplete="new-password"
              required
            />
            <p class="hint">
              Changing it logs you out everywhere else and revokes your API tokens.
            </p>
            <button type="submit">Change password</button>
          </form>
        </Card>
      </div>

      <TimeZoneCard csrfToken={csrfToken} {...props.timeZone} error={errors.timeZone?.time_zone} />

      <TwoFactorCard
        email={user.email}
        csrfToken={csrfToken}
        {...props.twoFactor}
        errors={errors.twoFactor}
      />

      <Card title="API tokens" id="tokens">
        <p>
          Scripts and other systems use a token to read and write your records through the JSON API:
          send it as <code>Authorization: Bearer &lt;token&gt;</code>.
        </p>
        <TokenList tokens={tokens} />
        <form method="post" action="/profile/tokens" class="inline-form" novalidate>
          <CsrfField token={csrfToken} />
          <Field
            name="name"
            idPrefix="token-"
            label="New token name"
            hint="For example the script or system that will use it"
            error={errors.token?.name}
            required
            maxlength={ACCOUNT_RULES.tokenName.max}
          />
          <button type="submit">Create token</button>
        </form>
      </Card>

      <Card title="Delete account" id="delete">
        <p>
          This removes your account, your API tokens and{" "}
          <strong>all your patient records</strong>. It cannot be undone.
        </p>
        <FormAlert message={errors.delete?.form} />
        <form method="post" action="/profile/delete" class="inline-form" novalidate>
          <CsrfField token={csrfToken} />
          <Field
            name="password"
            idPrefix="delete-"
            label="Your password"
            type="password"
            error={errors.delete?.password}
            autocomplete="current-password"
            required
          />
          <button type="submit" class="button-danger">Delete my account</button>
        </form>
      </Card>
    </>
  );
}
