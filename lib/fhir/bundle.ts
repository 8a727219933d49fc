/**
 * The searchset Bundle of a FHIR search: one page of resources (and OperationOutcomes of matches
 * that could not be written), the number of matches in all, and the links a client follows (`self`, and `next` while there are more pages, carrying the cursor
 * the store handed out).
 */
import type { Bundle, BundleLink, Resource } from "@medplum/fhirtypes";

/** The query parameter that carries the cursor of the next page. */
export const CURSOR_PARAM = "_cursor";

export interface SearchPage<R extends Resource = Resource> {
  /** The FHIR base, absolute, without a trailing slash (`https://host/fhir`). */
  base: string;
  /** The request as the client sent it, absolute (its `self` link). */
  self: string | URL;
  resources: readonly R[];
  /** How many resources match the search in all pages. */
  total: number;
  /** The cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

/** The URL of the page after `self`: the same search with the next cursor. */
export function nextPageUrl(self: string | URL, cursor: string): string {
  const url = new URL(self);
  url.searchParams.set(CURSOR_PARAM, cursor);
  return url.href;
}

/** One page of a search as a `searchset` Bundle. */
export function searchsetBundle<R extends Resource>(page: SearchPage<R>): Bundle<R> {
  const base = page.base.replace(/\/+$/, "");
  const link: BundleLink[] = [{ relation: "self", url: new URL(page.self).href }];
  if (page.nextCursor !== null) {
    link.push({ relation: "next", url: nextPageUrl(page.self, page.nextCursor) });
  }
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: page.total,
    link,
    // An OperationOutcome among the resources says what could not be written (mode `outcome`).
    entry: page.resources.map((resource) =>
      resource.resourceType === "OperationOutcome"
        ? { resource, search: { mode: "outcome" as const } }
        : {
          fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
          resource,
          search: { mode: "match" as const },
        }
    ),
  };
}
