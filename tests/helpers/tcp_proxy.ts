/**
 * A TCP forwarder for outage tests: the app talks to a real database through it, and a test
 * takes the database "down" (`stop()`) and back "up" (`start()`) on the same port, or makes it
 * hang (`freeze()`: connections stay open but no byte moves, as with a stopped process or a
 * lost network) until `thaw()`.
 */

export interface TcpProxy {
  /** The port the app connects to; the same after every `start()`. */
  readonly port: number;
  /** Closes the listener and every open connection: to the app, the database is gone. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): void;
  /** Stops moving bytes either way; connections (old and new) stay open. */
  freeze(): void;
  /** Moves the bytes held since `freeze()` on, and carries on as before. */
  thaw(): void;
  /** Stops for good. */
  close(): Promise<void>;
}

export interface ProxyTarget {
  hostname: string;
  port: number;
}

/** Copies bytes from one side to the other until either side ends or fails. */
async function pump(from: Deno.Conn, to: Deno.Conn, frozen: () => Promise<void>): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      await frozen();
      const n = await from.read(buffer);
      if (n === null) return;
      await frozen();
      let written = 0;
      while (written < n) written += await to.write(buffer.subarray(written, n));
    }
  } catch {
    // One side closed (or was closed by stop()): the other is closed by the caller.
  }
}

const closed = new WeakSet<Deno.Conn>();

function closeOnce(conn: Deno.Conn | null): void {
  if (!conn || closed.has(conn)) return;
  closed.add(conn);
  try {
    conn.close();
  } catch {
    // The peer's close already released it.
  }
}

/** Forwards 127.0.0.1:<free port> to `target`, listening at once. */
export function startTcpProxy(target: ProxyTarget): TcpProxy {
  const open = new Set<Deno.Conn>();
  const running = new Set<Promise<void>>();
  let listener: Deno.Listener | null = null;
  let accepting: Promise<void> = Promise.resolve();
  /** While frozen: resolves at the thaw. */
  let thawed: Promise<void> | null = null;
  let release = () => {};
  const frozen = () => thawed ?? Promise.resolve();
  const unfreeze = () => {
    thawed = null;
    release();
  };

  const track = (work: Promise<void>) => {
    running.add(work);
    work.finally(() => running.delete(work));
  };

  async function forward(client: Deno.Conn): Promise<void> {
    open.add(client);
    let upstream: Deno.Conn | null = null;
    try {
      upstream = await Deno.connect(target);
      // Closed by stop() while connecting: do not keep the new connection.
      if (!open.has(client)) return;
      open.add(upstream);
      const pumps = [pump(client, upstream, frozen), pump(upstream, client, frozen)];
      await Promise.race(pumps);
      closeOnce(client);
      closeOnce(upstream);
      await Promise.all(pumps);
    } catch {
      // The target refused: the client sees its connection closed.
    } finally {
      open.delete(client);
      if (upstream) open.delete(upstream);
      closeOnce(client);
      closeOnce(upstream);
    }
  }

  async function accept(on: Deno.Listener): Promise<void> {
    try {
      for await (const client of on) track(forward(client));
    } catch {
      // The listener was closed.
    }
  }

  function listen(port: number): number {
    const on = Deno.listen({ hostname: "127.0.0.1", port });
    listener = on;
    accepting = accept(on);
    return (on.addr as Deno.NetAddr).port;
  }

  const port = listen(0);

  async function stop(): Promise<void> {
    const on = listener;
    listener = null;
    if (on) {
      on.close();
    }
    await accepting;
    for (const conn of open) closeOnce(conn);
    open.clear();
    unfreeze(); // the pumps held by a freeze see their connections closed
    while (running.size > 0) await Promise.allSettled([...running]);
  }

  return {
    port,
    stop,
    start() {
      if (!listener) listen(port);
    },
    freeze() {
      thawed ??= new Promise((resolve) => release = resolve);
    },
    thaw: unfreeze,
    close: stop,
  };
}
