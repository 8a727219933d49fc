/** What a Chromium test checks on every page state: axe-core's serious and critical findings, duplicate ids, sideways scrolling. */
import axe from "axe-core";
import type { Page } from "playwright-core";

/** One axe-core rule a page breaks, with where (a few selectors). */
export interface AxeFinding {
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** Rules that axe-core leaves off by default and that this app is held to all the same. */
const EXTRA_RULES = ["label-content-name-mismatch"];

/**
 * axe-core (from npm) run on the page as it is: the serious and critical violations. The script
 * goes in through the DevTools protocol, not a `<script>`, which the app's CSP would refuse.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate("typeof globalThis.axe === 'object'");
  if (!loaded) await page.evaluate(axe.source);
  const rules = Object.fromEntries(EXTRA_RULES.map((id) => [id, { enabled: true }]));
  const found = await page.evaluate(async (options) => {
    const { axe } = globalThis as unknown as {
      axe: {
        run(context: unknown, options: unknown): Promise<{
          violations: {
            id: string;
            impact: string | null;
            help: string;
            nodes: { target: unknown[] }[];
          }[];
        }>;
      };
    };
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      rules: options,
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? "",
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
  }, rules);
  return found.filter((f) => f.impact === "serious" || f.impact === "critical");
}

/** Ids that more than one element of the page carries. */
export function duplicateIds(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as {
      document: { querySelectorAll(s: string): Iterable<{ id: string }> };
    };
    const seen = new Map<string, number>();
    for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  });
}

/** How much wider than the window the page lays out (0 when it does not scroll sideways). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as {
      document: { documentElement: { scrollWidth: number; clientWidth: number } };
    }).document.documentElement;
    return Math.max(0, root.scrollWidth - root.clientWidth);
  });
}

/** What is wrong with the page as it is: sideways scrolling, repeated ids, axe findings. */
export async function pageProblems(page: Page, name: string): Promise<string[]> {
  const width = page.viewportSize()?.width ?? 0;
  const found: string[] = [];
  const wider = await sidewaysOverflow(page);
  if (wider > 0) found.push(`${name} at ${width}: ${wider} px wider than the screen`);
  const ids = await duplicateIds(page);
  if (ids.length) found.push(`${name} at ${width}: ids used twice: ${ids.join(", ")}`);
  for (const v of await axeViolations(page)) {
    found.push(`${name} at ${width}: ${v.impact} ${v.rule} (${v.help}) at ${v.nodes.join(" | ")}`);
  }
  return found;
}
