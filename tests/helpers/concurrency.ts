/** Bursts of concurrent requests, for the suites that hold limits against races. */

/** Sends all requests at once and counts the statuses. */
export async function burst(
  requests: (() => Promise<Response>)[],
): Promise<Record<number, number>> {
  const responses = await Promise.all(requests.map((send) => send()));
  const counts: Record<number, number> = {};
  for (const res of responses) {
    await res.body?.cancel();
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
  return counts;
}
