/** Addresses that stay in a registry: a team registry's id rides along as `registry={rid}`. */
import { tryGetContext } from "hono/context-storage";
import type { RegistryRole } from "../lib/errors.ts";
import { type RegistryAccess, type RegistryRight, RIGHTS } from "../lib/registry_rights.ts";

/** What a link needs to know of the registry it should stay in. */
export interface RegistryRef {
  registryId: string;
  personal: boolean;
}

/**
 * `url` with `registry={rid}` added when `registry` is a team registry (a personal one needs
 * none, so that its addresses stay as they always were). A `#fragment` stays at the end.
 */
export function withRegistry(url: string, registry: RegistryRef | null | undefined): string {
  if (!registry || registry.personal || /[?&]registry=/.test(url)) return url;
  const hash = url.indexOf("#");
  const [path, fragment] = hash < 0 ? [url, ""] : [url.slice(0, hash), url.slice(hash)];
  const joiner = path.includes("?") ? "&" : "?";
  return `${path}${joiner}registry=${encodeURIComponent(registry.registryId)}${fragment}`;
}

/**
 * The registry a page is rendered in (see `registryScope`), if any. Read with `get`: Hono's
 * `var` copies every variable of the request into a new object on each access, and a page asks
 * for its registry once per link.
 */
function pageRegistry(): RegistryAccess | undefined {
  return tryGetContext<{ Variables: { registry?: RegistryAccess } }>()?.get("registry");
}

/**
 * `url` in the registry of the page being rendered: every link, form action and htmx address
 * of a records page goes through it, so that a page of a team registry never sends its user's
 * next click to their personal one.
 */
export function here(url: string): string {
  return withRegistry(url, pageRegistry());
}

/**
 * Whether the user's role in the page's registry has `right`: controls it lacks are not shown
 * (and are refused if posted anyway). True outside a registry's page.
 */
export function mayDo(right: RegistryRight): boolean {
  const registry = pageRegistry();
  return !registry || RIGHTS[registry.role].has(right);
}

/**
 * The page's team registry as a form field (`registry={rid}`), for a GET form: a browser drops
 * the query of a GET form's action, so such a form carries the registry as a hidden input. None
 * on a personal registry's page.
 */
export function registryParam(): { name: "registry"; value: string } | null {
  const registry = pageRegistry();
  return registry && !registry.personal ? { name: "registry", value: registry.registryId } : null;
}

/** The registry the page is in, for a heading ("Stroke unit · viewer"); none when personal. */
export function teamRegistry(): { name: string; role: RegistryRole } | null {
  const registry = pageRegistry();
  return registry && !registry.personal ? { name: registry.name, role: registry.role } : null;
}
