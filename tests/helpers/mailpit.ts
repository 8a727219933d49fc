/**
 * Real mail in tests: the SMTP server the app sends to (Mailpit, `SPM_TEST_SMTP_URL`) and its HTTP
 * API to read what arrived (`SPM_TEST_MAILPIT_URL`). Absent on a fresh clone (the tests that need
 * it are skipped with a message); required in CI. Suites run in parallel against one Mailpit, so
 * each test sends to addresses of its own ({@link uniqueAddress}).
 */
import type { MailConfig } from "../../config.ts";
import { IN_CI } from "./backends.ts";

export interface Mailpit {
  /** Where the app sends: `smtp://127.0.0.1:1025`. */
  smtpUrl: string;
  /** Mailpit's HTTP API: `http://127.0.0.1:8025`. */
  apiUrl: string;
}

const env = Deno.env.toObject();

/** The Mailpit of the environment, or null (an error in CI, where it must exist). */
export function mailpitServer(): Mailpit | null {
  const smtpUrl = env.SPM_TEST_SMTP_URL?.trim();
  const apiUrl = env.SPM_TEST_MAILPIT_URL?.trim().replace(/\/+$/, "");
  if (smtpUrl && apiUrl) return { smtpUrl, apiUrl };
  if (IN_CI) {
    throw new Error(
      "CI must set SPM_TEST_SMTP_URL and SPM_TEST_MAILPIT_URL: mail tests may not be skipped",
    );
  }
  return null;
}

/** Says (once per suite) that the mail tests were skipped, and why. */
export function skipWithoutMailpit(suite: string): boolean {
  const missing = mailpitServer() === null;
  if (missing) {
    console.warn(
      `Skipped: ${suite} sends real mail, and SPM_TEST_SMTP_URL and SPM_TEST_MAILPIT_URL are not set (start Mailpit and set them to run it).`,
    );
  }
  return missing;
}

/** The sender of every test message. */
export const TEST_MAIL_FROM = "Stroke registry tests <noreply@spm.test>";

/** The app's mail configuration for sending to `server`. */
export function testMailConfig(server: Mailpit): MailConfig {
  return { smtpUrl: server.smtpUrl, from: TEST_MAIL_FROM };
}

/** An address no other test uses: `label-<random>@spm.test`. */
export function uniqueAddress(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 12)}@spm.test`;
}

/** A message as Mailpit received it. */
export interface ReceivedMail {
  id: string;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  text: string;
  html: string;
  /** Every header, by name, as the message carried it. */
  headers: Record<string, string[]>;
}

type Address = { Address: string; Name: string };

async function getJson<T>(server: Mailpit, path: string): Promise<T> {
  const res = await fetch(`${server.apiUrl}${path}`);
  if (!res.ok) throw new Error(`Mailpit answered ${res.status} to ${path}: ${await res.text()}`);
  return await res.json() as T;
}

async function readMessage(server: Mailpit, id: string): Promise<ReceivedMail> {
  const message = await getJson<{
    ID: string;
    Subject: string;
    From: Address;
    To: Address[] | null;
    Cc: Address[] | null;
    Bcc: Address[] | null;
    Text: string;
    HTML: string;
  }>(server, `/api/v1/message/${encodeURIComponent(id)}`);
  const headers = await getJson<Record<string, string[]>>(
    server,
    `/api/v1/message/${encodeURIComponent(id)}/headers`,
  );
  const addresses = (list: Address[] | null) => (list ?? []).map((a) => a.Address);
  return {
    id: message.ID,
    subject: message.Subject,
    from: message.From.Address,
    to: addresses(message.To),
    cc: addresses(message.Cc),
    bcc: addresses(message.Bcc),
    text: message.Text.replaceAll("\r\n", "\n"), // lines end in CRLF on the wire
    html: message.HTML,
    headers,
  };
}

/** Every message Mailpit holds for `address` (exactly that recipient), oldest first. */
export async function messagesTo(server: Mailpit, address: string): Promise<ReceivedMail[]> {
  const found = await getJson<{ messages: { ID: string; To: Address[] | null }[] }>(
    server,
    `/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}&limit=50`,
  );
  const ids = found.messages
    .filter((m) => (m.To ?? []).some((to) => to.Address.toLowerCase() === address.toLowerCase()))
    .map((m) => m.ID)
    .reverse();
  return await Promise.all(ids.map((id) => readMessage(server, id)));
}

/** Waits until `count` messages for `address` have arrived (up to `timeoutMs`); returns them. */
export async function waitForMail(
  server: Mailpit,
  address: string,
  count = 1,
  timeoutMs = 15_000,
): Promise<ReceivedMail[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const messages = await messagesTo(server, address);
    if (messages.length >= count) return messages;
    if (Date.now() > until) {
      throw new Error(`${messages.length} of ${count} messages for ${address} arrived`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The first http(s) link of a message's text that goes to `path`. */
export function linkIn(mail: ReceivedMail, path: string): string {
  const link = mail.text.match(/https?:\/\/\S+/g)?.find((l) =>
    new URL(l).pathname.startsWith(path)
  );
  if (!link) throw new Error(`No link to ${path} in: ${mail.text}`);
  return link;
}
