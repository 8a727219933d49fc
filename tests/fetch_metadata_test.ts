/**
 * Downloads of patient data are not started by other sites: an export that rides on the session
 * with `Sec-Fetch-Site: cross-site` (or `same-site`) is refused before anything is read or
 * audited, while the app's own links, typed addresses, scripts without the header and bearer
 * tokens keep working.
 */
import assert from "node:assert/strict";
import type { AuditEntry } from "../lib/audit.ts";
import { setAdmin } from "../db/accounts/admin.ts";
import { apiTest } from "./helpers/api.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { parseDom } from "./helpers/html.ts";

const EXPORT = "/api/patient_data/export";

async function exportEntries(
  store: { audit: { stream(q: { ownerId: number }): AsyncIterable<AuditEntry> } },
  owner: number,
): Promise<number> {
  let n = 0;
  for await (const entry of store.audit.stream({ ownerId: owner })) {
    if (entry.action === "export") n++;
  }
  return n;
}

apiTest(
  "an export riding on the session from another site is refused, and nothing is audited",
  async ({ user, patients, browser }) => {
    await patients.insertMany(user.id, samplePatients(5, 1));
    const session = await browser();
    for (const site of ["cross-site", "same-site"]) {
      for (const path of [EXPORT, `${EXPORT}?deidentify=true&k_min=2&format=json`]) {
        const res = await session.get(path, {
          "Sec-Fetch-Site": site,
          "Sec-Fetch-Mode": "navigate",
        });
        assert.equal(res.status, 403, `${site} ${path}`);
        assert.equal(res.headers.get("Content-Type"), "application/problem+json");
        assert.equal(res.headers.get("Content-Disposition"), null);
        assert.match((await res.json()).detail, /started from another site, so it was refused/);
      }
      const check = await session.get("/patients/export/anonymity?deidentify=true&k_min=2", {
        "Sec-Fetch-Site": site,
        "HX-Request": "true",
      });
      assert.equal(check.status, 403);
      assert.match(parseDom(await check.text()).text("[role=alert]"), /another site/);
    }
    assert.equal(await exportEntries(patients, user.id), 0, "no export entry in the user's name");

    // The app's own links, a typed address, and a client that sends no Fetch Metadata.
    for (const headers of [{ "Sec-Fetch-Site": "same-origin" }, { "Sec-Fetch-Site": "none" }, {}]) {
      const res = await session.get(EXPORT, headers);
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.match(res.headers.get("Content-Disposition") ?? "", /^attachment/);
      assert.equal((await res.text()).trim().split("\n").length, 6);
    }
    assert.equal(await exportEntries(patients, user.id), 3);
  },
);

apiTest("a bearer token exports whatever site the request comes from", async ({ app, user }) => {
  const res = await app.request(EXPORT, {
    headers: { Authorization: `Bearer ${user.token}`, "Sec-Fetch-Site": "cross-site" },
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

apiTest(
  "an admin's audit download riding on the session from another site is refused",
  async ({ app, user, browser }) => {
    await setAdmin(app.stores.accounts, user.email, true);
    const session = await browser();
    for (const path of ["/admin/audit.csv", "/api/admin/audit?format=csv"]) {
      const refused = await session.get(path, { "Sec-Fetch-Site": "cross-site" });
      assert.equal(refused.status, 403, path);
      assert.equal(refused.headers.get("Content-Disposition"), null, path);
      await refused.body?.cancel();
      const own = await session.get(path, { "Sec-Fetch-Site": "same-origin" });
      assert.equal(own.status, 200, path);
      assert.match(own.headers.get("Content-Type") ?? "", /text\/csv/, path);
      await own.body?.cancel();
    }
  },
);
