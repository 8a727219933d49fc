/**
 * Lints the API's OpenAPI document with Redocly CLI and Spectral (`spectral:oas`), both pinned
 * and run through npx: writes the document to a temporary folder with each linter's settings,
 * and fails on any error — a missing `operationId`, an undeclared tag or an untyped array are
 * errors here. CI runs it (`.ci/run`); locally: `deno task openapi-lint` (needs Node's npx and
 * the npm registry, or the two packages in npx's cache). Given a file, lints that document instead.
 */
import { join } from "node:path";
import { openApiDocument } from "../lib/openapi.ts";

/** The linters, pinned: a new version's new rules are taken on purpose, not by surprise. */
export const REDOCLY = "@redocly/cli@2.77.0";
export const SPECTRAL = "@stoplight/spectral-cli@6.16.3";

/** What must hold besides each linter's own errors: raised from their warnings. */
const REDOCLY_CONFIG = `extends:
  - recommended
rules:
  operation-operationId: error
  operation-operationId-unique: error
  info-license: error
  tags-alphabetical: off
`;
const SPECTRAL_RULESET = `extends: ["spectral:oas"]
rules:
  operation-operationId: error
  operation-operationId-unique: error
  operation-tag-defined: error
  info-contact: error
  array-items: error
`;

async function run(name: string, args: string[], cwd: string): Promise<boolean> {
  console.log(`\n== ${name}: npx ${args.join(" ")}`);
  const { code } = await new Deno.Command("npx", {
    args: ["--yes", ...args],
    cwd,
    env: {
      NO_UPDATE_NOTIFIER: "1",
      REDOCLY_TELEMETRY: "off",
      REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
    },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  console.log(code === 0 ? `${name}: no errors` : `${name}: errors (exit ${code})`);
  return code === 0;
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "spm-openapi-" });
  try {
    const document = join(dir, "openapi.json");
    const [given] = Deno.args;
    await Deno.writeTextFile(
      document,
      given ? await Deno.readTextFile(given) : JSON.stringify(openApiDocument(), null, 2),
    );
    await Deno.writeTextFile(join(dir, "redocly.yaml"), REDOCLY_CONFIG);
    await Deno.writeTextFile(join(dir, ".spectral.yaml"), SPECTRAL_RULESET);
    const redocly = await run("Redocly", [REDOCLY, "lint", "openapi.json"], dir);
    const spectral = await run(
      "Spectral",
      [SPECTRAL, "lint", "openapi.json", "--ruleset", ".spectral.yaml", "--fail-severity", "error"],
      dir,
    );
    if (!redocly || !spectral) Deno.exit(1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
