/**
 * The registries in the browser, on every accounts backend: the list and creating a registry,
 * each page action by owner, editor, viewer and non-member (controls a role may not use are not
 * drawn, and refused with 403 naming the role when posted anyway; 404 for a non-member),
 * renaming, adding and inviting members, changing roles, removing, leaving and deleting, the
 * last owner's 409 said on the page, the membership changes, the header's switcher, htmx
 * answers, and forms refused without the CSRF token.
 */
import assert from "node:assert/strict";
import { findUserByEmail } from "../db/accounts/users.ts";
import { createRegistryService } from "../lib/registry_service.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { parseDom, textOf } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const FOREIGN = "https://evil.example";
const HTMX = { "HX-Request": "true", "HX-Target": "members" };

/** A new account, registered through the form and logged in. */
async function signUp(app: TestApp, name: string, email: string): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  assert.equal((await browser.register(name, email, PASSWORD)).status, 303, `${email} registers`);
  await browser.get("/registries"); // the session's CSRF token
  return browser;
}

/** The page at `path`, with its status and DOM. */
async function page(browser: TestBrowser, path: string) {
  const res = await browser.get(path);
  const html = await res.text();
  return { status: res.status, html, dom: parseDom(html) };
}

/** Posts a form and follows a 303 once, as a browser does; the final status and page. */
async function submit(
  browser: TestBrowser,
  path: string,
  fields: Record<string, string>,
  headers: HeadersInit = {},
) {
  const res = await browser.postForm(path, fields, headers);
  const location = res.headers.get("Location");
  if (res.status === 303 && location) {
    const next = await page(browser, location);
    return { ...next, posted: 303, location };
  }
  const html = await res.text();
  return { status: res.status, html, dom: parseDom(html), posted: res.status, location };
}

/** Ann creates "Stroke unit" through the page; its id. */
async function createTeam(ann: TestBrowser, name = "Stroke unit"): Promise<string> {
  await ann.get("/registries");
  const created = await submit(ann, "/registries", { name });
  assert.equal(created.posted, 303);
  const rid = /^\/registries\/(t[a-z2-7]{16})$/.exec(created.location ?? "")?.[1];
  assert.ok(rid, `redirected to the new registry's page: ${created.location}`);
  return rid;
}

/** The members as the registry's page lists them: [name, email, role, status]. */
function memberRows(dom: ReturnType<typeof parseDom>): string[][] {
  return dom.all("ul.member-list > li").map((item) => {
    const role = item.querySelector(".member-role option[selected]") ??
      item.querySelector(".member-role");
    return [
      textOf(item.querySelector(".member-name")),
      textOf(item.querySelector(".member-email")),
      textOf(role).replace(/^Role: /, ""),
      textOf(item.querySelector(".member-status")).replace(/^Status: /, ""),
    ];
  });
}

/** The registry's number (its patient documents' scope), as the app resolves it for `email`. */
async function scopeOf(app: TestApp, email: string, rid: string): Promise<number> {
  const user = await findUserByEmail(app.stores.accounts, email);
  const access = await createRegistryService(app.stores.accounts).resolveAccess(
    { userId: user!.id },
    rid,
  );
  return access.scope;
}

for (const backend of accountBackends()) {
  const test = (name: string, body: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, body));

  test("the registries page lists yours, personal first, and creates one", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const first = await page(ann, "/registries");
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.dom.all("table.registries tbody tr").map((r) =>
        [...r.querySelectorAll("th, td")].slice(0, 3).map(textOf)
      ),
      [["Personal current", "owner", "1"]],
    );
    // One registry: no switcher yet, but the page is in the navigation.
    assert.equal(first.dom.find("[data-registry-menu]"), null);
    assert.ok(first.dom.find('nav a[href="/registries"]'));

    const empty = await submit(ann, "/registries", { name: "   " });
    assert.equal(empty.status, 422);
    assert.equal(empty.dom.text("#create-name-error"), "Give the registry a name");
    assert.ok(empty.dom.get("#create-name").hasAttribute("autofocus"), "the focus is on it");
    assert.equal(empty.dom.get("#create-name").getAttribute("aria-invalid"), "true");
    const long = await submit(ann, "/registries", { name: "x".repeat(101) });
    assert.equal(long.status, 422);
    assert.equal(long.dom.text("#create-name-error"), "Use at most 100 characters");

    const rid = await createTeam(ann, "  Stroke unit  ");
    const opened = await page(ann, `/registries/${rid}`);
    assert.equal(opened.dom.text("h1"), "Stroke unit");
    assert.match(opened.dom.text(".lead"), /Your role here is owner/);
    await createTeam(ann, "Aphasia study");
    const list = await page(ann, "/registries");
    assert.deepEqual(
      list.dom.all("table.registries tbody th").map(textOf),
      ["Personal current", "Aphasia study", "Stroke unit"],
      "personal first, then by name",
    );
    assert.equal(
      list.dom.all("table.registries a[href^='/patients']").map((a) => a.getAttribute("href"))
        .filter((href) => href === "/patients").length,
      1,
      "the personal registry's records need no registry= in their address",
    );
  });

  test("the header's switcher names the page's registry and your role there", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const bob = await signUp(app, "Bob Editor", "bob@example.org");
    const dan = await signUp(app, "Dan Stranger", "dan@example.org");
    const rid = await createTeam(ann);
    await submit(ann, `/registries/${rid}/members`, { email: "bob@example.org", role: "editor" });

    const personal = await page(bob, "/registries");
    const menu = personal.dom.get("header details[data-registry-menu]");
    assert.equal(textOf(menu.querySelector("summary")), "Registry Personal your role: owner");
    assert.deepEqual(
      personal.dom.all("[data-registry-menu] li a").map((a) => [
        a.getAttribute("href"),
        textOf(a),
        a.getAttribute("aria-current"),
      ]),
      [
        ["/registries", "Personal your role: owner", "true"],
        [`/registries?registry=${rid}`, "Stroke unit your role: editor", null],
      ],
      "links to this page in each registry (no script needed)",
    );

    // Where a link of the menu goes: the page's address with registry={rid}.
    const team = await page(bob, `/registries?registry=${rid}`);
    assert.equal(team.status, 200);
    assert.equal(
      team.dom.text("[data-registry-menu] summary"),
      "Registry Stroke unit your role: editor",
    );
    const nav = team.dom.get("nav[aria-label=Main]");
    for (const path of ["/patients", "/dashboard", "/registries", "/codebook"]) {
      assert.ok(
        nav.querySelector(`a[href="${path}?registry=${rid}"]`),
        `${path} keeps the registry`,
      );
    }
    assert.match(team.dom.text("table.registries tr.current"), /Stroke unit/);
    // The personal registry: an empty value means it, as no parameter does.
    const back = await page(bob, "/registries?registry=");
    assert.equal(back.status, 200);
    assert.equal(
      back.dom.text("[data-registry-menu] summary"),
      "Registry Personal your role: owner",
    );
    assert.ok(back.dom.find('nav a[href="/patients"]'));
    // A registry's page switches to the list of registries, a record's to the patients, a
    // form's answer to the page it belongs to.
    const menuLinks = async (path: string) =>
      (await page(bob, path)).dom.all("[data-registry-menu] li a").map((a) =>
        a.getAttribute("href")
      );
    const own = await page(bob, `/registries/${rid}`);
    assert.equal(
      own.dom.text("[data-registry-menu] summary"),
      "Registry Stroke unit your role: editor",
      "a registry's own page is in it",
    );
    assert.ok(own.dom.find(`nav a[href="/patients?registry=${rid}"]`));
    assert.equal(
      own.dom.get("a.button[href^='/patients']").getAttribute("href"),
      `/patients?registry=${rid}`,
    );
    assert.equal(own.dom.get("p.back a").getAttribute("href"), `/registries?registry=${rid}`);
    assert.deepEqual(await menuLinks(`/registries/${rid}`), [
      "/registries",
      `/registries?registry=${rid}`,
    ]);
    assert.deepEqual(await menuLinks("/patients/12"), ["/patients", `/patients?registry=${rid}`]);
    await bob.get("/registries");
    const refused = await bob.postForm("/registries", { name: "" });
    assert.equal(refused.status, 422);
    assert.deepEqual(
      parseDom(await refused.text()).all("[data-registry-menu] li a").map((a) =>
        a.getAttribute("href")
      ),
      ["/registries", `/registries?registry=${rid}`],
    );

    // A shared link: 404 for someone who is not a member.
    assert.equal((await page(dan, `/registries?registry=${rid}`)).status, 404);
    assert.equal((await page(dan, `/registries/${rid}`)).status, 404);
  });

  test("each action by owner, editor, viewer and non-member", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const bob = await signUp(app, "Bob Editor", "bob@example.org");
    const vic = await signUp(app, "Vic Viewer", "vic@example.org");
    const dan = await signUp(app, "Dan Stranger", "dan@example.org");
    const rid = await createTeam(ann);
    const base = `/registries/${rid}`;
    await submit(ann, `${base}/members`, { email: "bob@example.org", role: "editor" });
    await submit(ann, `${base}/members`, { email: "vic@example.org", role: "viewer" });

    const owner = await page(ann, base);
    assert.equal(owner.status, 200);
    assert.ok(owner.dom.find("#rename-name"), "the owner renames");
    assert.ok(owner.dom.find("#add-email") && owner.dom.find("#add-role"), "adds members");
    assert.equal(owner.dom.all(".member-list select").length, 3, "changes every role");
    assert.deepEqual(
      owner.dom.all(".member-list button.button-danger").map((b) => b.getAttribute("aria-label")),
      ["Remove Bob Editor (bob@example.org)", "Remove Vic Viewer (vic@example.org)"],
      "removes the others (leaving is its own page)",
    );
    assert.ok(owner.dom.find(`a[href="${base}/delete"]`), "deletes");
    assert.ok(owner.dom.find(`a[href="${base}/leave"]`), "leaves");

    for (
      const [who, browser, role] of [["editor", bob, "editor"], ["viewer", vic, "viewer"]] as const
    ) {
      const seen = await page(browser, base);
      assert.equal(seen.status, 200, `the ${who} sees the page`);
      assert.match(seen.dom.text(".lead"), new RegExp(`Your role here is ${role}`));
      for (
        const control of [
          "#rename-name",
          "#add-email",
          ".member-list select",
          "form[action$='/members/remove']",
          `a[href="${base}/delete"]`,
        ]
      ) {
        assert.equal(seen.dom.find(control), null, `the ${who} is not shown ${control}`);
      }
      assert.ok(seen.dom.find(`a[href="${base}/leave"]`), `the ${who} may leave`);
      assert.deepEqual(memberRows(seen.dom), memberRows(owner.dom), "and sees the members");

      // Posted anyway: 403, naming the role needed; nothing changes.
      const refusals: [string, Record<string, string>][] = [
        [`${base}/rename`, { name: "Mine" }],
        [`${base}/members`, { email: "eve@example.org", role: "owner" }],
        [`${base}/members/role`, {
          email: `${who === "editor" ? "bob" : "vic"}@example.org`,
          role: "owner",
        }],
        [`${base}/members/remove`, { email: "ann@example.org" }],
        [`${base}/delete`, {}],
      ];
      for (const [path, fields] of refusals) {
        const refused = await submit(browser, path, fields);
        assert.equal(refused.status, 403, `${who} POST ${path}`);
        assert.match(
          refused.dom.text(".lead"),
          new RegExp(`Your role in "Stroke unit" is ${role}; .+ needs the owner role`),
        );
      }
      const confirm = await page(browser, `${base}/delete`);
      assert.equal(confirm.status, 403, `the ${who} is not asked to delete`);
    }
    const after = await page(ann, base);
    assert.equal(after.dom.text("h1"), "Stroke unit");
    assert.deepEqual(memberRows(after.dom), memberRows(owner.dom), "nothing was changed");

    // A non-member: every page and form of the registry is a 404, as if it did not exist.
    for (const path of [base, `${base}/leave`, `${base}/delete`]) {
      assert.equal((await page(dan, path)).status, 404, `GET ${path}`);
    }
    for (
      const action of ["rename", "members", "members/role", "members/remove", "leave", "delete"]
    ) {
      await dan.get("/registries");
      const res = await submit(dan, `${base}/${action}`, {
        name: "x",
        email: "ann@example.org",
        role: "owner",
      });
      assert.equal(res.status, 404, `POST ${action}`);
    }
    assert.equal((await page(dan, "/registries/tzzzzzzzzzzzzzzzz")).status, 404);
    assert.equal((await page(dan, "/registries/nonsense")).status, 404);
  });

  test("owners rename, add, invite, change roles and remove; the changes are listed", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    await signUp(app, "Bob Editor", "bob@example.org");
    const rid = await createTeam(ann);
    const base = `/registries/${rid}`;

    const renamed = await submit(ann, `${base}/rename`, { name: "Stroke unit A" });
    assert.equal(renamed.location, base);
    assert.equal(renamed.dom.text("h1"), "Stroke unit A");
    assert.match(renamed.dom.text("#alerts"), /The registry is now called “Stroke unit A”/);
    const blank = await submit(ann, `${base}/rename`, { name: "" });
    assert.equal(blank.status, 422);
    assert.equal(blank.dom.text("#rename-name-error"), "Give the registry a name");
    assert.ok(blank.dom.get("#rename-name").hasAttribute("autofocus"));

    const added = await submit(ann, `${base}/members`, {
      email: " Bob@Example.org ",
      role: "editor",
    });
    assert.equal(added.location, `${base}#members`);
    assert.match(
      added.dom.text("#alerts"),
      /Bob Editor \(bob@example\.org\) is now an editor of “Stroke unit A”\. No email is sent by this installation/,
    );
    const invited = await submit(ann, `${base}/members`, {
      email: "eve@example.org",
      role: "viewer",
    });
    assert.match(
      invited.dom.text("#alerts"),
      /eve@example\.org is invited as viewer — they will join when they register with this email\. No email is sent/,
    );
    assert.deepEqual(memberRows(invited.dom), [
      ["Ann Owner", "ann@example.org", "owner", "active"],
      ["Bob Editor", "bob@example.org", "editor", "active"],
      ["Not registered yet", "eve@example.org", "viewer", "invited"],
    ]);

    // Refused at the field, the focus there, what was typed kept.
    const again = await submit(ann, `${base}/members`, {
      email: "bob@example.org",
      role: "viewer",
    });
    assert.equal(again.status, 409);
    assert.match(again.dom.text("#add-email-error"), /already a member/);
    const bad = await submit(ann, `${base}/members`, { email: "not-an-email", role: "admin" });
    assert.equal(bad.status, 422);
    assert.ok(bad.dom.text("#add-email-error"));
    assert.match(bad.dom.text("#add-role-error"), /Choose one of owner, editor, viewer/);
    assert.ok(bad.dom.get("#add-email").hasAttribute("autofocus"), "the first error has the focus");
    assert.equal(bad.dom.get("#add-email").getAttribute("value"), "not-an-email");
    const tooLong = await submit(ann, `${base}/members`, {
      email: `${"a".repeat(250)}@example.org`,
      role: "viewer",
    });
    assert.equal(tooLong.status, 422);
    assert.match(tooLong.dom.text("#add-email-error"), /at most 254/);

    const promoted = await submit(ann, `${base}/members/role`, {
      email: "eve@example.org",
      role: "editor",
    });
    assert.match(promoted.dom.text("#alerts"), /eve@example\.org is now an editor/);
    const demoted = await submit(ann, `${base}/members/role`, {
      email: "bob@example.org",
      role: "viewer",
    });
    assert.match(demoted.dom.text("#alerts"), /Bob Editor \(bob@example\.org\) is now a viewer/);
    const removed = await submit(ann, `${base}/members/remove`, { email: "bob@example.org" });
    assert.match(
      removed.dom.text("#alerts"),
      /Bob Editor \(bob@example\.org\) is no longer a member/,
    );
    const withdrawn = await submit(ann, `${base}/members/remove`, { email: "eve@example.org" });
    assert.match(withdrawn.dom.text("#alerts"), /The invitation of eve@example\.org is withdrawn/);
    const gone = await submit(ann, `${base}/members/role`, {
      email: "eve@example.org",
      role: "owner",
    });
    assert.equal(gone.status, 404);
    assert.match(
      gone.dom.text("#members .alert-error"),
      /no member or invitation for eve@example\.org/,
    );

    // The membership changes, newest first: who did what to whom, with which role.
    const history = (await page(ann, base)).dom.all("#registry-history li span").map(textOf);
    assert.deepEqual(history, [
      "Ann Owner removed eve@example.org (editor).",
      "Ann Owner removed Bob Editor (bob@example.org) (viewer).",
      "Ann Owner changed the role of Bob Editor (bob@example.org) from editor to viewer.",
      "Ann Owner changed the role of eve@example.org from viewer to editor.",
      "Ann Owner invited eve@example.org as viewer.",
      "Ann Owner added Bob Editor (bob@example.org) as editor.",
      "Ann Owner renamed the registry from “Stroke unit” to “Stroke unit A”.",
      "Ann Owner created the registry “Stroke unit” and became its owner.",
    ]);
  });

  test("an invitation shows as joined once its email registers", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const rid = await createTeam(ann);
    await submit(ann, `/registries/${rid}/members`, { email: "eve@example.org", role: "editor" });
    const eve = await signUp(app, "Eve Late", "eve@example.org");
    const hers = await page(eve, "/registries");
    assert.deepEqual(
      hers.dom.all("table.registries tbody tr").map((r) =>
        [...r.querySelectorAll("th, td")].slice(0, 2).map(textOf)
      ),
      [["Personal current", "owner"], ["Stroke unit", "editor"]],
    );
    const seen = await page(ann, `/registries/${rid}`);
    assert.deepEqual(memberRows(seen.dom)[1], ["Eve Late", "eve@example.org", "editor", "active"]);
    assert.equal(
      seen.dom.text("#registry-history li:first-child span"),
      "Eve Late (eve@example.org) registered and joined as editor (invited before).",
    );
  });

  test("leaving, and the last owner told on the page", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const bob = await signUp(app, "Bob Editor", "bob@example.org");
    const rid = await createTeam(ann);
    const base = `/registries/${rid}`;
    await submit(ann, `${base}/members`, { email: "bob@example.org", role: "editor" });

    // The last owner can neither leave nor become editor: 409, said where they acted.
    const confirm = await page(ann, `${base}/leave`);
    assert.equal(confirm.status, 200);
    assert.equal(confirm.dom.text("h1"), "Leave “Stroke unit”?");
    const stays = await submit(ann, `${base}/leave`, {});
    assert.equal(stays.status, 409);
    assert.match(
      stays.dom.text("#leave .alert-error"),
      /ann@example\.org is the last owner of this registry/,
    );
    assert.ok(stays.dom.get(`#leave a[href="${base}/leave"]`).hasAttribute("autofocus"));
    const demote = await submit(ann, `${base}/members/role`, {
      email: "ann@example.org",
      role: "editor",
    });
    assert.equal(demote.status, 409);
    assert.match(demote.dom.text("#role-ann-example-org-error"), /last owner/);
    assert.equal(demote.dom.get("#role-ann-example-org").getAttribute("aria-invalid"), "true");
    // Removing oneself is leaving, which asks first.
    const self = await ann.postForm(`${base}/members/remove`, { email: "ann@example.org" });
    assert.equal(self.status, 303);
    assert.equal(self.headers.get("Location"), `${base}/leave`);

    // Bob leaves: back on the list, in his personal registry, and the registry is gone for him.
    const left = await submit(bob, `${base}/leave`, {});
    assert.equal(left.location, "/registries");
    assert.match(left.dom.text("#alerts"), /You have left “Stroke unit”/);
    assert.deepEqual(left.dom.all("table.registries tbody th").map(textOf), ["Personal current"]);
    assert.equal((await page(bob, base)).status, 404);
    assert.equal((await page(bob, `/registries?registry=${rid}`)).status, 404);
    assert.equal(
      (await page(ann, base)).dom.text("#registry-history li:first-child span"),
      "Bob Editor (bob@example.org) left the registry (editor).",
    );

    // With another owner, an owner may step down: the page follows their new role.
    await submit(ann, `${base}/members`, { email: "bob@example.org", role: "owner" });
    const stepped = await submit(ann, `${base}/members/role`, {
      email: "ann@example.org",
      role: "viewer",
    });
    assert.equal(stepped.location, base);
    assert.match(stepped.dom.text("#alerts"), /Ann Owner \(ann@example\.org\) is now a viewer/);
    assert.equal(stepped.dom.find("#add-email"), null, "no member controls any more");
    // The personal registry can be neither left nor deleted.
    const personal = `/registries/p${
      (await findUserByEmail(app.stores.accounts, "ann@example.org"))!.id
    }`;
    assert.equal((await page(ann, personal)).status, 200);
    assert.equal((await page(ann, `${personal}/leave`)).status, 409);
    assert.equal((await submit(ann, `${personal}/delete`, {})).status, 409);
  });

  test("an owner deletes an empty registry only", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const rid = await createTeam(ann);
    const base = `/registries/${rid}`;
    const scope = await scopeOf(app, "ann@example.org", rid);
    await app.stores.patients.insertMany(scope, samplePatients(1, 1));

    const confirm = await page(ann, `${base}/delete`);
    assert.equal(confirm.status, 200);
    assert.equal(confirm.dom.text("h1"), "“Stroke unit” cannot be deleted yet");
    assert.match(
      confirm.dom.text(".lead"),
      /It holds 1 record \(counting those recently deleted\)/,
    );
    assert.equal(confirm.dom.find("form[action$='/delete']"), null, "no button that would fail");
    // Posted anyway (or a record added meanwhile): refused, said on the registry's page.
    const refused = await submit(ann, `${base}/delete`, {});
    assert.equal(refused.status, 409);
    assert.match(refused.dom.text("#delete .alert-error"), /"Stroke unit" still holds records/);

    const user = await findUserByEmail(app.stores.accounts, "ann@example.org");
    await app.stores.patients.delete(scope, 1, undefined, { by: user!.id });
    const stillDeleted = await submit(ann, `${base}/delete`, {});
    assert.equal(stillDeleted.status, 409, "recently deleted records count too");
    assert.match((await page(ann, `${base}/delete`)).dom.text(".lead"), /It holds 1 record/);
  });

  test("an empty registry is deleted, for every member at once", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    const bob = await signUp(app, "Bob Editor", "bob@example.org");
    const rid = await createTeam(ann);
    await submit(ann, `/registries/${rid}/members`, { email: "bob@example.org", role: "editor" });
    const confirm = await page(ann, `/registries/${rid}/delete`);
    assert.equal(confirm.dom.text("h1"), "Delete “Stroke unit”?");
    assert.match(confirm.dom.text(".lead"), /It is removed for its 2 members at once/);
    const deleted = await submit(ann, `/registries/${rid}/delete`, {});
    assert.equal(deleted.location, "/registries", "back in the personal registry");
    assert.match(deleted.dom.text("#alerts"), /Registry “Stroke unit” deleted/);
    assert.deepEqual(deleted.dom.all("table.registries tbody th").map(textOf), [
      "Personal current",
    ]);
    assert.equal((await page(bob, `/registries/${rid}`)).status, 404);
    assert.equal((await page(ann, `/registries/${rid}`)).status, 404);
  });

  test("with htmx the members' card is replaced in place, with the message", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    await signUp(app, "Bob Editor", "bob@example.org");
    const rid = await createTeam(ann);
    const base = `/registries/${rid}`;
    await ann.get(base);

    const added = await ann.postForm(`${base}/members`, {
      email: "bob@example.org",
      role: "editor",
    }, HTMX);
    assert.equal(added.status, 200);
    const fragment = parseDom(await added.text());
    assert.ok(fragment.find("section#members"), "the members' card");
    assert.equal(fragment.find("html head"), null, "a fragment, not a page");
    assert.deepEqual(memberRows(fragment)[1], [
      "Bob Editor",
      "bob@example.org",
      "editor",
      "active",
    ]);
    assert.equal(fragment.get("#registry-history").getAttribute("hx-swap-oob"), "true");
    assert.match(fragment.text("#registry-history li:first-child"), /Ann Owner added Bob Editor/);
    assert.match(fragment.text("#alerts [role=status]"), /is now an editor/);

    const refused = await ann.postForm(`${base}/members`, { email: "", role: "viewer" }, HTMX);
    assert.equal(refused.status, 422, "htmx swaps a 422");
    const form = parseDom(await refused.text());
    assert.ok(form.text("#add-email-error"));
    assert.ok(form.get("#add-email").hasAttribute("autofocus"));

    const last = await ann.postForm(`${base}/members/role`, {
      email: "ann@example.org",
      role: "viewer",
    }, HTMX);
    assert.equal(last.status, 409, "htmx swaps a 409");
    assert.match(parseDom(await last.text()).text("#role-ann-example-org-error"), /last owner/);

    // A change of one's own role reloads the page: its other controls follow the new role.
    await ann.postForm(`${base}/members/role`, { email: "bob@example.org", role: "owner" }, HTMX);
    const own = await ann.postForm(`${base}/members/role`, {
      email: "ann@example.org",
      role: "editor",
    }, HTMX);
    assert.equal(own.status, 204);
    assert.equal(own.headers.get("HX-Redirect"), base);
    // Now an editor: the next form is refused, and said in the message region (not swapped).
    const forbidden = await ann.postForm(`${base}/members`, {
      email: "x@example.org",
      role: "viewer",
    }, HTMX);
    assert.equal(forbidden.status, 403);
    assert.match(await forbidden.text(), /needs the owner role/);
  });

  test("the forms refuse a request without the session's CSRF token", async (app) => {
    const ann = await signUp(app, "Ann Owner", "ann@example.org");
    await signUp(app, "Bob Editor", "bob@example.org");
    const rid = await createTeam(ann);
    const base = `/registries/${rid}`;
    await ann.get(base);
    const forms: [string, Record<string, string>][] = [
      ["/registries", { name: "Forged" }],
      [`${base}/rename`, { name: "Forged" }],
      [`${base}/members`, { email: "bob@example.org", role: "owner" }],
      [`${base}/members/role`, { email: "ann@example.org", role: "viewer" }],
      [`${base}/leave`, {}],
      [`${base}/delete`, {}],
    ];
    for (const [path, fields] of forms) {
      const without = await ann.request(path, {
        method: "POST",
        body: new URLSearchParams(fields),
      });
      assert.equal(without.status, 403, `${path} without a token`);
      assert.match(await without.text(), /This form has expired or was sent from another site/);
      const foreign = await ann.postForm(path, fields, { Origin: FOREIGN });
      assert.equal(foreign.status, 403, `${path} from another site`);
      await foreign.body?.cancel();
    }
    const seen = await page(ann, base);
    assert.equal(seen.dom.text("h1"), "Stroke unit");
    assert.deepEqual(memberRows(seen.dom), [["Ann Owner", "ann@example.org", "owner", "active"]]);
    assert.deepEqual(
      (await page(ann, "/registries")).dom.all("table.registries tbody th").map(textOf),
      ["Personal current", "Stroke unit"],
    );
  });
}
