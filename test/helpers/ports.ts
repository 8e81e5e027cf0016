/**
 * Free loopback ports for the repository's process-level tests (test/**): one implementation, so
 * every suite gets the same guarantee.
 */
import { createServer } from 'node:net';

/** Ports this process has handed out: a probe may see a port free again before its user binds it. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, probed by binding port 0 and releasing it; the caller binds it soon
 * after. Never the same port twice in one process (two members of one cluster once got the same
 * port because the first had not bound it yet when the second probed).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function probePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
