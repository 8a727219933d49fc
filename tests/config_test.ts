import assert from "node:assert/strict";
import { appUrl, ConfigError, loadConfig } from "../config.ts";

Deno.test("loadConfig() with no variables uses the embedded stores on 127.0.0.1:5000", () => {
  const config = loadConfig({});
  assert.deepEqual(config.port, 5000);
  assert.deepEqual(config.host, "127.0.0.1");
  assert.deepEqual(config.mysql, null);
  assert.deepEqual(config.mongo, null);
  assert.deepEqual(config.dataDir, "./data");
  assert.deepEqual(config.sessionSecretFromEnv, false);
  assert.deepEqual(config.sessionSecret.length, 64);
  assert.deepEqual(appUrl(config), "http://127.0.0.1:5000/");
});

Deno.test("loadConfig() gives a random session secret per start when none is set", () => {
  const a = loadConfig({}).sessionSecret;
  const b = loadConfig({}).sessionSecret;
  assert.deepEqual(a === b, false);
});

Deno.test("loadConfig() accepts FLASK_SECRET as the session secret, SESSION_SECRET first", () => {
  assert.deepEqual(loadConfig({ FLASK_SECRET: "flask" }).sessionSecret, "flask");
  assert.deepEqual(
    loadConfig({ FLASK_SECRET: "flask", SESSION_SECRET: "new" }).sessionSecret,
    "new",
  );
  assert.deepEqual(loadConfig({ FLASK_SECRET: "flask" }).sessionSecretFromEnv, true);
});

Deno.test("loadConfig() selects MySQL when MYSQL_HOST is set, with the seed's defaults", () => {
  const config = loadConfig({ MYSQL_HOST: "db.example" });
  assert.deepEqual(config.mysql, {
    host: "db.example",
    port: 3306,
    user: "root",
    password: "root",
    database: "loginvalidation",
  });
});

Deno.test("loadConfig() selects MongoDB when MONGO_URI is set, with the seed's names", () => {
  const config = loadConfig({
    MONGO_URI: "mongodb+srv://user:pw@cluster0.example.net/?retryWrites=true",
  });
  assert.deepEqual(config.mongo, {
    uri: "mongodb+srv://user:pw@cluster0.example.net/?retryWrites=true",
    database: "patient_data",
    collection: "Patient_data",
  });
  assert.deepEqual(
    loadConfig({ MONGO_URI: "mongodb://h", MONGO_DB: "d", MONGO_COLLECTION: "c" }).mongo,
    {
      uri: "mongodb://h",
      database: "d",
      collection: "c",
    },
  );
});

Deno.test("loadConfig() gives a database 1 s to be reached and a query 60 s, or what is set", () => {
  assert.deepEqual(loadConfig({}).databaseTimeouts, { unavailableMs: 1000, queryMs: 60_000 });
  assert.deepEqual(
    loadConfig({ DB_TIMEOUT_MS: "2500", DB_QUERY_TIMEOUT_MS: "30000" }).databaseTimeouts,
    { unavailableMs: 2500, queryMs: 30_000 },
  );
});

Deno.test("loadConfig() reads PORT, HOST and DATA_DIR", () => {
  const config = loadConfig({ PORT: "8080", HOST: "0.0.0.0", DATA_DIR: "/var/lib/spm" });
  assert.deepEqual([config.port, config.host, config.dataDir], [8080, "0.0.0.0", "/var/lib/spm"]);
  assert.deepEqual(appUrl({ host: "::1", port: 80 }), "http://[::1]:80/");
});

for (
  const [env, variable] of [
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "0" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ PORT: "80.5" }, "PORT"],
    [{ MYSQL_PORT: "-1" }, "MYSQL_PORT"],
    [{ MYSQL_HOST: "h", MYSQL_PORT: "x" }, "MYSQL_PORT"],
    [{ MONGO_URI: "http://localhost:27017" }, "MONGO_URI"],
    [{ MONGO_URI: "localhost:27017" }, "MONGO_URI"],
    [{ MONGO_URI: "mongodb://" }, "MONGO_URI"],
    [{ MYSQL_DB: "bad name; drop" }, "MYSQL_DB"],
    [{ MONGO_DB: "a.b" }, "MONGO_DB"],
    [{ DB_TIMEOUT_MS: "0" }, "DB_TIMEOUT_MS"],
    [{ DB_TIMEOUT_MS: "1.5" }, "DB_TIMEOUT_MS"],
    [{ DB_QUERY_TIMEOUT_MS: "soon" }, "DB_QUERY_TIMEOUT_MS"],
  ] as const
) {
  Deno.test(`loadConfig() refuses ${JSON.stringify(env)} with a message naming ${variable}`, () => {
    assert.throws(() => loadConfig(env), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.startsWith(`${variable} `), error.message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  });
}

Deno.test("the app stops with one line naming the variable when PORT is bad", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname],
    env: { PORT: "abc" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  assert.deepEqual(output.code, 1);
  assert.deepEqual(stderr.split("\n").length, 1, stderr);
  assert.deepEqual(stderr.includes("PORT"), true, stderr);
});

Deno.test("FHIR_ID_SECRET is the FHIR id key when set (16 characters at least), else none", () => {
  assert.equal(loadConfig({}).fhirIdSecret, null, "unset: the key kept in the database");
  const secret = "a long random FHIR id secret";
  assert.equal(loadConfig({ FHIR_ID_SECRET: secret }).fhirIdSecret, secret);
  assert.throws(
    () => loadConfig({ FHIR_ID_SECRET: "short-secret" }),
    (error: Error) =>
      error instanceof ConfigError && /^FHIR_ID_SECRET must be at least 16 characters/.test(
        error.message,
      ) && !error.message.includes("short-secret"),
  );
});
