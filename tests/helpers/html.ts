/** Reading HTML in tests through a DOM (linkedom) rather than with regular expressions. */
import { parseHTML } from "linkedom";

/** The part of linkedom's DOM the suites use (Deno's type check has no DOM library). */
export interface DomElement {
  localName: string;
  id: string;
  textContent: string | null;
  innerHTML: string;
  outerHTML: string;
  children: ArrayLike<DomElement> & Iterable<DomElement>;
  lastElementChild: DomElement | null;
  parentElement: DomElement | null;
  getAttribute(name: string): string | null;
  getAttributeNames(): string[];
  hasAttribute(name: string): boolean;
  closest(selectors: string): DomElement | null;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement> & Iterable<DomElement>;
}

/** A parsed page or fragment with the queries the suites need. */
export interface Dom {
  document: DomElement;
  /** The first element matching `selectors`, or null. */
  find(selectors: string): DomElement | null;
  /** The first element matching `selectors`; fails the test when there is none. */
  get(selectors: string): DomElement;
  /** Every element matching `selectors`. */
  all(selectors: string): DomElement[];
  /** The whitespace-folded text of the first match ("" when there is none). */
  text(selectors: string): string;
  /**
   * The first link or button that a screen reader names `name` (its text, words only screen
   * readers read included, or its `aria-label`); null when there is none.
   */
  findNamed(name: string): DomElement | null;
  /** The same; fails the test when there is none. */
  named(name: string): DomElement;
}

/** The whitespace-folded text of an element. */
export function textOf(element: DomElement | null | undefined): string {
  return element?.textContent?.replace(/\s+/g, " ").trim() ?? "";
}

/** Parses a full page or a fragment (a fragment is put in a body first). */
export function parseDom(html: string): Dom {
  const page = /^\s*<(!doctype|html)/i.test(html)
    ? html
    : `<!doctype html><html><body>${html}</body></html>`;
  const { document } = parseHTML(page) as unknown as { document: DomElement };
  const find = (selectors: string) => document.querySelector(selectors);
  const findNamed = (name: string) =>
    [...document.querySelectorAll("a, button")].find((control) =>
      (control.getAttribute("aria-label") ?? textOf(control)) === name
    ) ?? null;
  return {
    document,
    find,
    get(selectors) {
      const element = find(selectors);
      if (!element) throw new Error(`No element matches ${selectors}`);
      return element;
    },
    all: (selectors) => [...document.querySelectorAll(selectors)],
    text: (selectors) => textOf(find(selectors)),
    findNamed,
    named(name) {
      const element = findNamed(name);
      if (!element) throw new Error(`No link or button is named ${name}`);
      return element;
    },
  };
}

/**
 * Whether an answer is a whole page. parseDom makes a page of a fragment too, so only the raw
 * start of the answer tells the two apart.
 */
export const isPage = (html: string) => html.startsWith("<!DOCTYPE html>");

/** Every attribute of an element, by name (to pin an element's exact opening tag). */
export const attributesOf = (element: DomElement | null | undefined) =>
  Object.fromEntries(
    (element?.getAttributeNames() ?? []).map((n) => [n, element?.getAttribute(n)]),
  );

/** The element a fragment starts with. */
export const firstOf = (dom: Dom) => dom.get("body").children[0];
