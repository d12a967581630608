/** Loopback ports for the local servers. */
import * as net from 'net';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<number> {
  const { port } = server.address() as net.AddressInfo;
  return new Promise((resolve) => server.close(() => resolve(port)));
}

/** A port free on 127.0.0.1 right now (the OS picks it; it may be taken again before you bind it). */
export async function freePort(): Promise<number> {
  return close(await listen(0));
}

/** n distinct free ports: all are held open together, so two calls cannot hand out the same one. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) servers.push(await listen(0));
  } finally {
    // closed below on success; on failure close what was opened
    if (servers.length < n) await Promise.all(servers.map(close));
  }
  return Promise.all(servers.map(close));
}

/**
 * Fails with a message naming the port when something else listens on it. Retries for a moment first:
 * right after a server was killed its port can stay bound briefly.
 */
export async function assertPortFree(port: number, what: string, waitMs = 3_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await close(await listen(port));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (Date.now() >= deadline) {
        throw new Error(
          `port ${port} on 127.0.0.1, wanted for ${what}, is already in use by another process`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
