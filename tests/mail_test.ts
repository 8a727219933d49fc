/**
 * Email: `SMTP_URL`/`MAIL_FROM`/`PUBLIC_URL` checked at start, the mailer (disabled without SMTP,
 * refusing a message that could add a header or a recipient, failing without a password in sight),
 * the templates' escaping, and real messages through Mailpit read back over its HTTP API.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config.ts";
import { createMailer, MAIL_LIMITS, MailInputError, MailSendError } from "../lib/mail.ts";
import { invitationMail, passwordResetMail } from "../lib/mail_templates.ts";
import {
  mailpitServer,
  messagesTo,
  skipWithoutMailpit,
  TEST_MAIL_FROM,
  testMailConfig,
  uniqueAddress,
  waitForMail,
} from "./helpers/mailpit.ts";

const SECRET = "s3cret-Pa55word";
const SMTP = {
  SMTP_URL: `smtp://mailer:${SECRET}@mail.example.org:587`,
  MAIL_FROM: TEST_MAIL_FROM,
};

/** The message of the `ConfigError` that `env` causes. */
function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** A local port with nothing listening on it. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("loadConfig() reads SMTP_URL, MAIL_FROM and PUBLIC_URL; without them the app sends no mail", () => {
  const config = loadConfig({ ...SMTP, PUBLIC_URL: "https://Stroke.Example.org/" });
  assert.deepEqual(config.mail, { smtpUrl: SMTP.SMTP_URL, from: TEST_MAIL_FROM });
  assert.equal(config.publicUrl, "https://stroke.example.org");
  const bare = loadConfig({});
  assert.equal(bare.mail, null);
  assert.equal(bare.publicUrl, null);
  // ALLOWED_HOSTS instead of PUBLIC_URL is enough: links then take the checked host.
  assert.notEqual(loadConfig({ ...SMTP, ALLOWED_HOSTS: "stroke.example.org" }).mail, null);
  assert.deepEqual(
    loadConfig({
      SMTP_URL: "smtps://mail.example.org",
      MAIL_FROM: "noreply@example.org",
      PUBLIC_URL: "http://localhost:5000",
    }).mail,
    { smtpUrl: "smtps://mail.example.org", from: "noreply@example.org" },
  );
});

Deno.test("loadConfig() refuses mail settings that cannot work, naming the variable and never the password", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      {
        ...SMTP,
        SMTP_URL: `http://mailer:${SECRET}@mail.example.org`,
        PUBLIC_URL: "https://a.org",
      },
      /^SMTP_URL must be a URL such as smtp:/,
    ],
    [
      { ...SMTP, SMTP_URL: `mail.example.org:${SECRET}`, PUBLIC_URL: "https://a.org" },
      /^SMTP_URL must be/,
    ],
    [
      { SMTP_URL: SMTP.SMTP_URL, PUBLIC_URL: "https://a.org" },
      /^MAIL_FROM must be set when SMTP_URL is/,
    ],
    [{ MAIL_FROM: TEST_MAIL_FROM }, /^SMTP_URL must be set when MAIL_FROM is/],
    [{ ...SMTP }, /^PUBLIC_URL must be set when SMTP_URL is \(or ALLOWED_HOSTS\)/],
    [
      { ...SMTP, MAIL_FROM: "not an address", PUBLIC_URL: "https://a.org" },
      /^MAIL_FROM must be an email address/,
    ],
    [{
      ...SMTP,
      MAIL_FROM: "Eve <eve@example.org>\r\nBcc: all@example.org",
      PUBLIC_URL: "https://a.org",
    }, /^MAIL_FROM must be/],
    [
      { PUBLIC_URL: "https://stroke.example.org/app" },
      /^PUBLIC_URL must be the address people open the app at/,
    ],
    [{ PUBLIC_URL: "ftp://stroke.example.org" }, /^PUBLIC_URL must be/],
    [{ PUBLIC_URL: "https://stroke.example.org/?x=1" }, /^PUBLIC_URL must be/],
  ];
  for (const [env, expected] of cases) {
    const message = configError(env);
    assert.match(message, expected, JSON.stringify(env));
    assert.ok(!message.includes(SECRET), `no password in: ${message}`);
  }
});

Deno.test("a mailer without SMTP is disabled, sends nothing and says so at start", async () => {
  const mailer = createMailer(null);
  assert.equal(mailer.enabled, false);
  assert.match(mailer.description, /^not sent \(SMTP_URL is not set\)/);
  const sent = await mailer.sendMail({
    to: "ada@example.org",
    ...passwordResetMail("https://stroke.example.org/reset-password/x", 30),
  });
  assert.equal(sent, false);
  let built = false;
  mailer.sendLater(() => {
    built = true;
    return Promise.resolve(null);
  }, { log: () => {}, purpose: "test" });
  await mailer.idle();
  assert.equal(built, false, "nothing is even prepared");
});

Deno.test("the start-up line names the mail server, never its password", () => {
  const mailer = createMailer({ smtpUrl: SMTP.SMTP_URL, from: TEST_MAIL_FROM });
  assert.equal(mailer.enabled, true);
  assert.equal(mailer.description, `SMTP at mail.example.org:587, from ${TEST_MAIL_FROM}`);
  assert.match(
    createMailer({ smtpUrl: `smtps://u:${SECRET}@mail.example.org`, from: "a@b.org" }).description,
    /^SMTP at mail\.example\.org:465 \(TLS\), from a@b\.org$/,
  );
});

Deno.test("sendMail() refuses a recipient or subject that could add a header, and oversized messages", async () => {
  // Refused before any connection: the server named here is never contacted.
  const mailer = createMailer({
    smtpUrl: `smtp://127.0.0.1:${closedPort()}`,
    from: TEST_MAIL_FROM,
  });
  const good = { to: "ada@example.org", subject: "Hello", text: "Hi", html: "<p>Hi</p>" };
  const refused = [
    { ...good, to: "ada@example.org\r\nBcc: eve@example.org" },
    { ...good, to: "ada@example.org, eve@example.org" },
    { ...good, to: "Ada <ada@example.org>" },
    { ...good, to: "not an address" },
    { ...good, subject: "Hello\r\nBcc: eve@example.org" },
    { ...good, subject: "Hello\nthere" },
    { ...good, subject: " " },
    { ...good, subject: "x".repeat(MAIL_LIMITS.subject + 1) },
    { ...good, text: "x".repeat(MAIL_LIMITS.body + 1) },
    { ...good, html: "x".repeat(MAIL_LIMITS.body + 1) },
  ];
  for (const message of refused) {
    await assert.rejects(
      mailer.sendMail(message),
      MailInputError,
      JSON.stringify(message).slice(0, 80),
    );
  }
});

Deno.test("a mail server that cannot be reached is a MailSendError naming no password", async () => {
  const mailer = createMailer({
    smtpUrl: `smtp://mailer:${SECRET}@127.0.0.1:${closedPort()}`,
    from: TEST_MAIL_FROM,
  });
  const error = await mailer.sendMail({
    to: "ada@example.org",
    ...passwordResetMail("https://stroke.example.org/reset-password/x", 30),
  }).then(() => null, (e) => e);
  assert.ok(error instanceof MailSendError, String(error));
  assert.match(error.message, /^The mail server did not take the message/);
  assert.ok(!error.message.includes(SECRET));
  // In the background the failure is a log line with the request id, and nobody waits for it.
  const lines: string[] = [];
  mailer.sendLater(
    () => Promise.resolve({ to: "ada@example.org", subject: "Hi", text: "Hi", html: "Hi" }),
    { log: (line) => lines.push(line), requestId: "req-42", purpose: "password reset" },
  );
  await mailer.idle();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\S+ req-42 mail \(password reset\) could not be sent: The mail server/);
  assert.ok(!lines[0]!.includes(SECRET));
});

Deno.test("the templates escape names in HTML, keep subjects on one bounded line and take only http(s) links", () => {
  const invite = invitationMail({
    registryName: `<script>alert("x")</script> & Stroke Unit`,
    inviterName: "Eve\r\nBcc: victim@example.org",
    role: "viewer",
    link: "https://stroke.example.org/registries/r1",
  });
  assert.ok(!invite.html.includes("<script>"));
  assert.match(
    invite.html,
    /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; Stroke Unit/,
  );
  assert.match(
    invite.text,
    /<script>alert\("x"\)<\/script> & Stroke Unit/,
    "plain text stays as typed",
  );
  assert.ok(!/[\r\n]/.test(invite.subject));
  assert.match(invite.subject, /^Eve Bcc: victim@example\.org added you to the registry/);
  assert.match(invite.text, /as a viewer: you may read its records and dashboard/);
  assert.match(invite.html, /<a href="https:\/\/stroke\.example\.org\/registries\/r1">/);

  const long = invitationMail({
    registryName: "R".repeat(5000),
    inviterName: "N".repeat(5000),
    role: "editor",
    link: "https://stroke.example.org/",
  });
  assert.ok(long.subject.length <= MAIL_LIMITS.subject);
  assert.ok(long.text.length < 2000, "names are shortened in the body too");

  const reset = passwordResetMail("https://stroke.example.org/reset-password/abc?x=1&y=2", 30);
  assert.equal(reset.subject, "Reset your Stroke Patient Management password");
  assert.match(reset.text, /^https:\/\/stroke\.example\.org\/reset-password\/abc\?x=1&y=2$/m);
  assert.match(reset.text, /works once, within 30 minutes/);
  assert.match(
    reset.html,
    /href="https:\/\/stroke\.example\.org\/reset-password\/abc\?x=1&amp;y=2"/,
  );
  assert.throws(() => passwordResetMail("javascript:alert(1)", 30), TypeError);
  assert.throws(
    () =>
      invitationMail({
        registryName: "R",
        inviterName: "N",
        role: "owner",
        link: "data:text/html,x",
      }),
    TypeError,
  );
});

const mailpit = mailpitServer();
const noMailpit = skipWithoutMailpit("tests/mail_test.ts (Mailpit)");

Deno.test({
  name: "a message reaches the SMTP server with its sender, recipient, subject, text and HTML",
  ignore: noMailpit,
  async fn() {
    // Credentials in the URL are used only if the server asks (Mailpit does not).
    const url = new URL(mailpit!.smtpUrl);
    url.username = "mailer";
    url.password = SECRET;
    const mailer = createMailer({ smtpUrl: url.href, from: TEST_MAIL_FROM });
    const to = uniqueAddress("reset");
    const content = passwordResetMail("http://127.0.0.1:5000/reset-password/abc", 30);
    assert.equal(await mailer.sendMail({ to, ...content }), true);
    const [mail] = await waitForMail(mailpit!, to);
    assert.equal(mail!.from, "noreply@spm.test");
    assert.deepEqual(mail!.headers.From, [TEST_MAIL_FROM]);
    assert.deepEqual(mail!.to, [to]);
    assert.equal(mail!.subject, content.subject);
    assert.equal(mail!.text.trim(), content.text.trim());
    assert.match(mail!.html, /<a href="http:\/\/127\.0\.0\.1:5000\/reset-password\/abc">/);
    await mailer.idle();
  },
});

Deno.test({
  name: "a line break in a person's name adds no header and no recipient to the message",
  ignore: noMailpit,
  async fn() {
    const mailer = createMailer(testMailConfig(mailpit!));
    const to = uniqueAddress("invitee");
    const victim = uniqueAddress("victim");
    const content = invitationMail({
      registryName: "Stroke Unit\r\nX-Injected: yes",
      inviterName: `Eve\r\nBcc: ${victim}`,
      role: "editor",
      link: "https://stroke.example.org/registries/r1",
    });
    await mailer.sendMail({ to, ...content });
    const [mail] = await waitForMail(mailpit!, to);
    assert.deepEqual(mail!.to, [to]);
    assert.deepEqual(mail!.bcc, []);
    assert.deepEqual(mail!.cc, []);
    assert.equal(mail!.headers.Bcc, undefined);
    assert.equal(mail!.headers["X-Injected"], undefined);
    assert.equal(
      mail!.subject,
      `Eve Bcc: ${victim} added you to the registry "Stroke Unit X-Injected: yes"`,
    );
    await mailer.idle();
    assert.deepEqual(await messagesTo(mailpit!, victim), [], "the named address got nothing");
  },
});
