/**
 * The app's emails: a subject, plain text, and the same as simple HTML in which everything that
 * came from a person (a registry's or an inviter's name) is escaped. Subjects are folded onto one
 * line and bounded, whatever the names hold.
 */
import { escapeHtml } from "./html_escape.ts";
import { MAIL_LIMITS, type MailMessage } from "./mail.ts";

/** A message before its recipient is known. */
export type MailContent = Omit<MailMessage, "to">;

const APP_NAME = "Stroke Patient Management";

/** The longest name (registry, person) a message repeats; longer ones end in "…". */
const NAME_MAX = 120;

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]+/g;

/** A name on one line (line breaks and other control characters become a space), bounded. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(CONTROL, " ").replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join("")}…`;
}

/** A link the app made: http(s) only, so that nothing else can become a clickable link. */
function checkedLink(link: string): string {
  const url = new URL(link);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError("A link in an email must be http or https");
  }
  return url.href;
}

/** Paragraphs as text (blank lines between) and as HTML; a paragraph may hold the link. */
function compose(
  subject: string,
  paragraphs: { text: string; link?: string }[],
): MailContent {
  const text = paragraphs.map((p) => p.link ? `${p.text}\n${p.link}` : p.text).join("\n\n");
  const body = paragraphs.map((p) =>
    p.link
      ? `<p>${escapeHtml(p.text)}<br><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`
      : `<p>${escapeHtml(p.text)}</p>`
  ).join("\n");
  const html = `<!doctype html>\n<html><body>\n${body}\n</body></html>\n`;
  return { subject: oneLine(subject, MAIL_LIMITS.subject), text: `${text}\n`, html };
}

/** The password-reset email: the link, how long it works, and what using it does. */
export function passwordResetMail(link: string, expiresMinutes: number): MailContent {
  const href = checkedLink(link);
  return compose(`Reset your ${APP_NAME} password`, [
    { text: `Someone — we hope you — asked to reset the password of your ${APP_NAME} account.` },
    { text: "Choose a new password here:", link: href },
    {
      text: `The link works once, within ${expiresMinutes} minutes. Using it logs your account ` +
        "out everywhere and revokes its API tokens.",
    },
    { text: "If you did not ask for this, ignore this email: your password stays as it is." },
  ]);
}

export interface InvitationMailInput {
  registryName: string;
  inviterName: string;
  role: "owner" | "editor" | "viewer";
  /** Where to open the registry (or register, for an email without an account). */
  link: string;
}

const ROLE_RIGHTS: Record<InvitationMailInput["role"], string> = {
  owner: "read and change its records, and manage who may use it",
  editor: "read, add, edit, delete and import its records, and export them",
  viewer: "read its records and dashboard, and export them de-identified",
};

/** The email telling someone they were added to a registry, and with which role. */
export function invitationMail(input: InvitationMailInput): MailContent {
  const href = checkedLink(input.link);
  const registry = oneLine(input.registryName, NAME_MAX);
  const inviter = oneLine(input.inviterName, NAME_MAX) || "A colleague";
  const article = input.role === "viewer" ? "a" : "an";
  return compose(`${inviter} added you to the registry "${registry}"`, [
    {
      text: `${inviter} added you to the stroke registry "${registry}" in ${APP_NAME}, ` +
        `as ${article} ${input.role}: you may ${ROLE_RIGHTS[input.role]}.`,
    },
    { text: "Open it here:", link: href },
    {
      text: "No account yet? Register with this email address, and the registry is yours to " +
        "open as soon as you do.",
    },
    { text: "Not expecting this? You can ignore this email, or leave the registry at any time." },
  ]);
}
