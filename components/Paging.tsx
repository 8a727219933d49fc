/** Small pieces the history, deleted and admin pages share: Previous/Next page links, and a time as people read it. */
import { formatCount } from "../lib/count_format.ts";
import type { Paging } from "../lib/query_params.ts";
import { formatTime } from "../lib/time_format.ts";
import { here } from "./registry_url.ts";

/**
 * "‹ Previous · Page 2 of 7 · Next ›" for the path `base` with `query` (its filters), in the
 * page's registry; nothing for one page.
 */
export function PageLinks(
  { base, query = new URLSearchParams(), paging, total }: {
    base: string;
    query?: URLSearchParams;
    paging: Paging;
    total: number;
  },
) {
  const pages = Math.max(1, Math.ceil(total / paging.perPage));
  if (pages === 1) return null;
  const href = (page: number) => {
    const params = new URLSearchParams(query);
    params.set("page", String(page));
    return here(`${base}?${params}`);
  };
  return (
    <nav class="pagination" aria-label="Pages">
      {paging.page > 1 && (
        <a class="button button-small button-secondary" rel="prev" href={href(paging.page - 1)}>
          ‹ Previous
        </a>
      )}
      <span class="page-of">
        Page {formatCount(paging.page)} of {formatCount(pages)}
      </span>
      {paging.page < pages && (
        <a class="button button-small button-secondary" rel="next" href={href(paging.page + 1)}>
          Next ›
        </a>
      )}
    </nav>
  );
}

/** A `<time>` with its machine-readable value, shown in `zone` (default UTC) and naming it. */
export function Time({ date, zone }: { date: Date; zone?: string | undefined }) {
  return <time datetime={date.toISOString()}>{formatTime(date, zone)}</time>;
}

/** A table's header row: one column heading per label (an empty label is a visually hidden "Actions"). */
export function HeaderRow({ labels }: { labels: string[] }) {
  return (
    <tr>
      {labels.map((label) =>
        label ? <th scope="col">{label}</th> : (
          <th scope="col" class="row-actions">
            <span class="visually-hidden">Actions</span>
          </th>
        )
      )}
    </tr>
  );
}
