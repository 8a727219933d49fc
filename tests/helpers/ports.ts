/** Free TCP ports on loopback, for the servers a test (or a benchmark) starts itself. */

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (its listener is closed again at once): for a
 * child to bind, or, left alone, one where nothing listens.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
