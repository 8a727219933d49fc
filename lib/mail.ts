/**
 * Outgoing email through nodemailer, when `SMTP_URL` and `MAIL_FROM` are set; without them the
 * mailer is disabled (`enabled === false`) and sends nothing. Messages are checked before they go
 * (one recipient address, a one-line subject, bounded sizes), so that nothing a user typed can add
 * a header or a recipient.
 */
import nodemailer from "nodemailer";
import type { MailConfig } from "../config.ts";
import { emailProblem } from "./account_rules.ts";

/** One message: plain text, and the same as simple HTML. */
export interface MailMessage {
  /** One address, no name (names belong in the body). */
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The largest subject and bodies the app sends (characters). */
export const MAIL_LIMITS = { subject: 200, body: 100_000 } as const;

/** A message the app should never have built (a bad address, a subject on two lines, too big). */
export class MailInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MailInputError";
  }
}

/** The mail server could not be reached, or did not accept the message. */
export class MailSendError extends Error {
  constructor(options?: ErrorOptions) {
    const cause = (options?.cause as Error | undefined)?.message;
    super(`The mail server did not take the message${cause ? `: ${cause}` : ""}`, options);
    this.name = "MailSendError";
  }
}

/** Where a background send reports, and what the log line names. */
export interface DeliveryContext {
  log: (line: string) => void;
  /** The request that asked for the message, so that its log line can be found. */
  requestId?: string | undefined;
  /** What the message is, for the log ("password reset", "invitation"). */
  purpose: string;
}

export interface Mailer {
  /** False when no SMTP server is configured: nothing is ever sent. */
  readonly enabled: boolean;
  /** Where mail goes, for the start-up line (never a password). */
  readonly description: string;
  /**
   * Sends one message; true once the server has accepted it, false when the mailer is disabled.
   * Throws `MailInputError` for a message that may not be sent and `MailSendError` when the server
   * fails.
   */
  sendMail(message: MailMessage): Promise<boolean>;
  /**
   * Sends without making anyone wait: the caller answers at once, whatever happens to the
   * message. `build` may look things up first (the recipient's stored address); null from it
   * sends nothing. A failure is logged with the request id and never reaches the requester.
   */
  sendLater(build: () => Promise<MailMessage | null>, context: DeliveryContext): void;
  /** Resolves once every send under way has ended, or after `timeoutMs` (at shutdown, in tests). */
  idle(timeoutMs?: number): Promise<void>;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

/** Throws `MailInputError` unless the message may be sent as it is. */
export function checkMessage(message: MailMessage): void {
  const to = message.to;
  if (typeof to !== "string" || CONTROL.test(to) || /[<>,;"]/.test(to) || emailProblem(to)) {
    throw new MailInputError("The recipient must be one email address");
  }
  const subject = message.subject;
  if (typeof subject !== "string" || subject.trim() === "" || CONTROL.test(subject)) {
    throw new MailInputError("The subject must be one line of text");
  }
  if (subject.length > MAIL_LIMITS.subject) {
    throw new MailInputError(`The subject is longer than ${MAIL_LIMITS.subject} characters`);
  }
  for (const part of ["text", "html"] as const) {
    if (typeof message[part] !== "string" || message[part].length > MAIL_LIMITS.body) {
      throw new MailInputError(
        `The ${part} body must be text of at most ${MAIL_LIMITS.body} characters`,
      );
    }
  }
}

/** "SMTP at mail.example.org:587, from …": the server, never the credentials. */
export function describeMail(config: MailConfig | null): string {
  if (!config) {
    return "not sent (SMTP_URL is not set); password-reset links come from deno task admin reset-link";
  }
  const url = new URL(config.smtpUrl);
  const secure = url.protocol === "smtps:";
  const port = url.port || (secure ? "465" : "587");
  return `SMTP at ${url.hostname}:${port}${secure ? " (TLS)" : ""}, from ${config.from}`;
}

/** How long the server may take: to connect, to greet, and between any two of its answers (ms). */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** A mailer over `config`'s SMTP server, or a disabled one when `config` is null. */
export function createMailer(config: MailConfig | null): Mailer {
  const pending = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    promise.finally(() => pending.delete(promise)).catch(() => {});
    return promise;
  };
  const transport = config
    ? nodemailer.createTransport({
      url: config.smtpUrl,
      ...TIMEOUTS,
      // The app's messages never embed files or fetch URLs: nodemailer may not either.
      disableFileAccess: true,
      disableUrlAccess: true,
    })
    : null;

  async function sendMail(message: MailMessage): Promise<boolean> {
    checkMessage(message);
    if (!transport || !config) return false;
    try {
      await track(transport.sendMail({
        from: config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      }));
      return true;
    } catch (error) {
      throw new MailSendError({ cause: error });
    }
  }

  return {
    enabled: transport !== null,
    description: describeMail(config),
    sendMail,
    sendLater(build, context) {
      if (!transport) return;
      const line = (what: string) =>
        `${new Date().toISOString()} ${context.requestId ?? "-"} mail (${context.purpose}) ${what}`;
      track((async () => {
        try {
          const message = await build();
          if (message && await sendMail(message)) context.log(line("sent"));
        } catch (error) {
          context.log(line(`could not be sent: ${(error as Error).message}`));
        }
      })());
    },
    async idle(timeoutMs = 15_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
      await Promise.race([Promise.allSettled([...pending]), late]);
      clearTimeout(timer);
    },
  };
}
