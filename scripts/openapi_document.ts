/**
 * Writes the API's OpenAPI document (the one `/api/openapi.json` serves) to a file, for the
 * linters and for generating clients: `deno run --allow-write scripts/openapi_document.ts out.json`
 * (no argument: to standard output).
 */
import { openApiDocument } from "../lib/openapi.ts";

const text = JSON.stringify(openApiDocument(), null, 2) + "\n";
const [path] = Deno.args;
if (path) Deno.writeTextFileSync(path, text);
else await Deno.stdout.write(new TextEncoder().encode(text));
