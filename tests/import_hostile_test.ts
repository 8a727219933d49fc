/**
 * Imports that try to hurt: nothing a file holds is amplified into the answer or the audit log,
 * admins see no value of it, a file of mostly bad rows stops early, a workbook is told apart,
 * and concurrent imports of rows without ids all land.
 */
import assert from "node:assert/strict";
import { setAdmin } from "../db/accounts/admin.ts";
import { EXCERPT_CHARS } from "../lib/excerpt.ts";
import { LISTED_PROBLEMS } from "../lib/import_report.ts";
import { STOP_AFTER_BAD_ROWS } from "../lib/patient_import.ts";
import { apiTest, type ApiUser } from "./helpers/api.ts";
import { createTestApp } from "./helpers/app.ts";
import { csvRow, HEADER } from "./helpers/csv_files.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";

const P = "/api/patient_data";
const CSV = { "Content-Type": "text/csv" };

const upload = (user: ApiUser, csv: string, query = "") =>
  user.api("POST", `${P}/import${query}`, csv, CSV);

apiTest(
  "a header of many columns, or of a megabyte, answers a short 400 and leaves a word in the audit log",
  async ({ user, patients }) => {
    const many = await upload(user, "a,".repeat(30_000) + "\r\n" + csvRow(1));
    assert.equal(many.status, 400);
    assert.ok(many.text.length < 2_000, `a ${many.text.length}-character answer`);
    assert.match(
      many.body.detail,
      /the column "a" appears twice; .*; [\d,]+ more\. The header must/,
    );
    const huge = await upload(user, "a,".repeat(500_000) + "\r\n" + csvRow(1));
    assert.equal(huge.status, 400);
    assert.match(huge.body.detail, /first line is longer than 64 KB/);
    const { items } = await patients.audit.search({ ownerId: user.id }, { offset: 0, limit: 10 });
    assert.deepEqual(items.map((e) => [e.status, e.details]), [
      ["failed", { on_conflict: "skip", error: "not_csv" }],
      ["failed", { on_conflict: "skip", error: "header" }],
    ]);
  },
);

Deno.test("a first line of fifteen megabytes is refused with a 400, not a 500", async () => {
  const app = await createTestApp();
  try {
    const browser = await loggedInBrowser(app);
    const res = await browser.request(`${P}/import`, {
      method: "POST",
      headers: { ...CSV, "X-CSRF-Token": browser.csrf },
      body: "a,".repeat(7_500_000) + "\r\n",
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).detail, /first line is longer than 64 KB/);
  } finally {
    await app.close();
  }
});

apiTest(
  "a value of ten thousand characters is quoted as an excerpt of sixty",
  async ({ user }) => {
    const long = "x".repeat(10_000);
    const res = await upload(user, HEADER + csvRow(1, { gender: long }) + `2,${long}\r\n`);
    assert.equal(res.status, 200);
    const values = res.body.errors.map((e: { value: string }) => e.value);
    assert.deepEqual(values, ["x".repeat(EXCERPT_CHARS - 1) + "…", `2,${"x".repeat(57)}…`]);
    assert.ok(res.text.length < 2_000);
  },
);

apiTest(
  "a file whose first line is a patient's row leaves none of its values in the admins' view",
  async ({ app, user, newUser }) => {
    const admin = await newUser();
    await setAdmin(app.stores.accounts, admin.email, true);
    const row = csvRow(31112, { age: "80.5", avg_glucose_level: "174.12" });
    const refused = await upload(user, row + row);
    assert.equal(refused.status, 400);
    assert.match(refused.body.detail, /"31112" is not a field/, "the owner is told which column");
    const json = await admin.api("GET", `/api/admin/audit?action=import`);
    assert.equal(json.body.items.length, 1);
    assert.deepEqual(json.body.items[0].details, { on_conflict: "skip", error: "header" });
    const csv = await admin.api("GET", `/api/admin/audit?action=import&format=csv`);
    for (const value of ["31112", "80.5", "174.12", "formerly smoked", "Private"]) {
      assert.ok(!json.text.includes(value), `the JSON holds no ${value}`);
      assert.ok(!csv.text.includes(value), `the CSV holds no ${value}`);
    }
  },
);

apiTest(
  "the first thousand problems are listed with their total, and a file of mostly bad rows stops early",
  async ({ user }) => {
    // Two good rows, then a bad one: 1,500 problems among 4,500 rows.
    let some = HEADER;
    for (let i = 1; i <= 1500; i++) {
      some += csvRow(3 * i) + csvRow(3 * i + 1) + csvRow(3 * i + 2, { age: "old" });
    }
    const listed = await upload(user, some, "?dry_run=true");
    assert.equal(listed.status, 200);
    assert.equal(listed.body.errors.length, LISTED_PROBLEMS);
    assert.equal(listed.body.errors_total, 1500);
    assert.equal(listed.body.inserted, 3000);

    const hostile = HEADER + "x\r\n".repeat(20_000);
    const stopped = await upload(user, hostile);
    assert.equal(stopped.status, 400);
    assert.match(
      stopped.body.detail,
      new RegExp(
        `stopped at line ${(STOP_AFTER_BAD_ROWS + 2).toLocaleString("en-US")}: .* \\(line 2: ` +
          "This row has 1 value; the header has 12 columns\\).*Nothing was stored",
      ),
    );
    assert.ok(stopped.text.length < 2_000);

    // 6,000 good rows (a batch of 5,000 is stored), then bad ones until they are the most.
    const late = HEADER + Array.from({ length: 6000 }, (_, i) => csvRow(10_000 + i)).join("") +
      "x\r\n".repeat(7000);
    const partly = await upload(user, late);
    assert.equal(partly.status, 400);
    assert.match(partly.body.detail, /5,000 rows stored before the stop are kept/);
    assert.equal((await user.api("GET", `${P}?per_page=1`)).body.total, 5000);
  },
);

apiTest(
  "an Excel workbook or another binary file is refused as not a text file",
  async ({ app, user }) => {
    const files = [
      new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 6, 0, 8, 0]),
      new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]),
      new Uint8Array([0xff, 0xfe, 0x69, 0, 0x64, 0, 0x0d, 0, 0x0a, 0]), // "id" in UTF-16
    ];
    for (const bytes of files) {
      const res = await app.request(`${P}/import`, {
        method: "POST",
        headers: { ...CSV, Authorization: `Bearer ${user.token}` },
        body: bytes,
      });
      assert.equal(res.status, 400);
      assert.equal(
        (await res.json()).detail,
        "This is an Excel workbook (or not a text file); save it as CSV (UTF-8) and try again.",
      );
    }
  },
);

apiTest(
  "four concurrent imports of rows without ids store every row under an id of its own",
  async ({ user, newUser, patients }) => {
    // Four members of one team registry: each has a heavy-work slot of their own, so the four
    // imports really run at once into the same registry (one user's would take turns).
    const team = await user.api("POST", "/api/registries", { name: "Ward" });
    const rid = team.body.id as string;
    const members = [user];
    for (let i = 0; i < 3; i++) {
      const member = await newUser();
      await user.api("POST", `/api/registries/${rid}/members`, {
        email: member.email,
        role: "editor",
      });
      members.push(member);
    }
    const file = HEADER + Array.from({ length: 500 }, () => csvRow("")).join("");
    const answers = await Promise.all(members.map((m) => upload(m, file, `?registry=${rid}`)));
    assert.deepEqual(answers.map((a) => [a.status, a.body.inserted]), [
      [200, 500],
      [200, 500],
      [200, 500],
      [200, 500],
    ]);
    const ids = answers.flatMap((a) => a.body.assigned_ids.map((x: { id: number }) => x.id));
    assert.equal(new Set(ids).size, 2000, "every row its own id");
    const list = await user.api("GET", `${P}?registry=${rid}&per_page=1`);
    assert.equal(list.body.total, 2000);
    assert.equal(await patients.count(user.id), 0, "nothing in the personal registry");
  },
);

apiTest(
  "a field or a parameter name of ten thousand characters is named by an excerpt of sixty",
  async ({ user }) => {
    const name = "k".repeat(10_000);
    const cut = "k".repeat(EXCERPT_CHARS - 1) + "…";
    const body = await user.api("POST", P, { [name]: 1, gender: "Male" });
    assert.equal(body.status, 422);
    assert.ok(body.text.length < 2_000, `a ${body.text.length}-character answer`);
    assert.ok(
      body.body.errors.some((e: { field: string; message: string }) =>
        e.field === cut && e.message === `Unknown field "${cut}"`
      ),
    );
    for (const path of [`${P}?${name}=1`, `${P}/stats?${name}=1`]) {
      const res = await user.api("GET", path);
      assert.equal(res.status, 400, path.slice(0, 60));
      assert.ok(res.text.length < 2_000, `${path.slice(0, 40)}: ${res.text.length} characters`);
    }
  },
);
