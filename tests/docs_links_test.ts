/** The README and docs/ link to each other by relative paths and anchors: every one must lead somewhere. */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;

/** The Markdown files a reader meets: the README and everything in docs/. */
function markdownFiles(): string[] {
  const files = [join(ROOT, "README.md")];
  for (const entry of Deno.readDirSync(join(ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(join(ROOT, "docs", entry.name));
  }
  return files;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a file's headings (repeated headings get -1, -2, … as on GitHub). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const match = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!match) continue;
    const base = slug(match[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links `[text](target)` outside code blocks and code spans. */
function links(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const plain = line.replace(/`[^`]*`/g, "");
    for (const match of plain.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push(target);
    }
  }
  return out;
}

Deno.test("slug() makes GitHub's anchors", () => {
  assert.equal(slug("When a backend fails"), "when-a-backend-fails");
  assert.equal(slug("`Patient_data` (seed-compatible)"), "patient_data-seed-compatible");
  assert.equal(slug("Goals, met and not"), "goals-met-and-not");
});

Deno.test("every relative link of the README and docs/ leads to a file and heading that exist", () => {
  const broken: string[] = [];
  const files = markdownFiles();
  assert.ok(files.length >= 7, "the README and the six docs");
  for (const file of files) {
    const text = Deno.readTextFileSync(file);
    for (const target of links(text)) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const to = path === "" ? file : join(dirname(file), path);
      const where = `${relative(ROOT, file)} → ${target}`;
      let body: string;
      try {
        body = Deno.statSync(to).isFile ? Deno.readTextFileSync(to) : "";
      } catch {
        broken.push(`${where}: no such file`);
        continue;
      }
      if (anchor && to.endsWith(".md") && !anchors(body).has(anchor)) {
        broken.push(`${where}: no such heading`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("the README stays a page or two: at most 250 lines", () => {
  const lines = Deno.readTextFileSync(join(ROOT, "README.md")).split("\n").length;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
});
