import { connect, type Socket } from 'node:net';

import { Metrics } from './metrics';
import { startOpsServer, type OpsServer, type ReadinessChecks } from './ops-server';

/** A raw client: writes what `talk` sends, and resolves with what it read once the server closed. */
function rawClient(port: number, talk: (socket: Socket) => void): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('connect', () => talk(socket));
  });
}

/** Writes `line` every `everyMs` while the socket stays open: a client that never finishes. */
function trickle(socket: Socket, line: string, everyMs: number): void {
  const timer = setInterval(() => (socket.writable ? socket.write(line) : clearInterval(timer)), everyMs);
  socket.on('close', () => clearInterval(timer));
}

const errorOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;

describe('the ops server', () => {
  let server: OpsServer;
  let metrics: Metrics;
  let checks: ReadinessChecks;

  beforeEach(async () => {
    metrics = new Metrics('ledger', { defaults: false });
    checks = { kafka: () => true, redis: async () => true };
    server = await startOpsServer({ port: 0, metrics, readiness: () => checks, checkTimeoutMs: 200 });
  });
  afterEach(() => server.close());

  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

  it('serves the registry in the Prometheus text format on GET /metrics', async () => {
    metrics.events.inc({ type: 'HANDOVER', result: 'applied' }, 3);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    const text = await res.text();
    expect(text).toContain('# TYPE handover_events_total counter');
    expect(text).toContain('handover_events_total{type="HANDOVER",result="applied"} 3');
  });

  it('answers GET /health/live with 200 whatever the checks say', async () => {
    checks = { kafka: () => false };
    const res = await get('/health/live');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'up' });
  });

  it('answers GET /health/ready with 200 and every check up when all pass', async () => {
    const res = await get('/health/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'up', checks: { kafka: 'up', redis: 'up' } });
  });

  it('answers GET /health/ready with 503 naming the check that failed', async () => {
    checks = { kafka: () => true, redis: () => false, consumer: () => true };
    const res = await get('/health/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'down',
      checks: { kafka: 'up', redis: 'down', consumer: 'up' },
    });
  });

  it('counts a check that throws, rejects or does not answer in time as down', async () => {
    checks = {
      throws: () => {
        throw new Error('boom');
      },
      rejects: () => Promise.reject(new Error('no route to host')),
      hangs: () => new Promise<boolean>(() => undefined),
      passes: () => true,
    };
    const started = Date.now();
    const res = await get('/health/ready');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'down',
      checks: { throws: 'down', rejects: 'down', hangs: 'down', passes: 'up' },
    });
  });

  it('reads the checks anew on each request, so a service that starts becomes ready', async () => {
    checks = { service: () => false };
    expect((await get('/health/ready')).status).toBe(503);
    checks = { service: () => true, kafka: () => true };
    expect((await get('/health/ready')).status).toBe(200);
  });

  it('exports the readiness checks as handover_ready{check}', async () => {
    checks = { kafka: () => true, redis: () => false };
    const text = await (await get('/metrics')).text();
    expect(text).toContain('handover_ready{check="kafka"} 1');
    expect(text).toContain('handover_ready{check="redis"} 0');
  });

  it('answers an unknown path with 404 and another method with 405', async () => {
    const missing = await get('/api/v1/alerts');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const post = await get('/metrics', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('ignores a query string', async () => {
    expect((await get('/health/live?probe=kubelet')).status).toBe(200);
  });

  it('frees its port on close, even with a scraper keeping its connection alive', async () => {
    await get('/metrics', { headers: { connection: 'keep-alive' } }).then((r) => r.text());
    await server.close();
    await expect(get('/health/live')).rejects.toThrow();
    const again = await startOpsServer({ port: server.port, metrics, readiness: () => checks });
    expect(again.port).toBe(server.port);
    server = again; // closed by afterEach
  });

  it('refuses a port in use with a message naming it', async () => {
    await expect(
      startOpsServer({
        port: server.port,
        metrics: new Metrics('watch', { defaults: false }),
        readiness: () => ({}),
      }),
    ).rejects.toThrow(`port ${server.port} is already in use`);
  });

  describe('against slow and broken clients', () => {
    let slow: OpsServer;
    beforeEach(async () => {
      slow = await startOpsServer({
        port: 0,
        metrics: new Metrics('watch', { defaults: false }),
        readiness: () => ({}),
        timeouts: { headersMs: 500, requestMs: 1_000, keepAliveMs: 500 },
        otherRoutes: (req, res) => {
          if (req.url === '/stream') {
            // a response that goes on far longer than the request timeout, as SSE does
            res.writeHead(200, { 'Content-Type': 'text/event-stream' });
            const timer = setInterval(() => res.write(': beat\n\n'), 200);
            res.on('close', () => clearInterval(timer));
            return;
          }
          req.resume();
          req.on('end', () => res.end('ok'));
        },
      });
    });
    afterEach(() => slow.close());

    it('disconnects a client that sends its headers a line at a time and never finishes them (slow-loris)', async () => {
      const { text, ms } = await rawClient(slow.port, (socket) => {
        socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n');
        trickle(socket, 'X-Slow: 1\r\n', 100);
      });
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(errorOf(text)).toEqual({ error: { code: 'REQUEST_TIMEOUT', message: expect.any(String) } });
      expect(ms).toBeLessThan(10_000);
    });

    it('disconnects a client that opens a connection and sends nothing', async () => {
      const { text } = await rawClient(slow.port, () => undefined);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('disconnects a client whose body never finishes', async () => {
      const { text } = await rawClient(slow.port, (socket) => {
        socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab');
        trickle(socket, 'a', 100);
      });
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('answers a body cut short by the client with 400 in the error shape', async () => {
      const { text } = await rawClient(slow.port, (socket) => {
        socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab');
        setTimeout(() => socket.end(), 50);
      });
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(errorOf(text)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    });

    it('answers a request that is not HTTP with 400 in the error shape', async () => {
      const { text } = await rawClient(slow.port, (socket) => socket.write('HELLO\r\n\r\n'));
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(errorOf(text)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    });

    it('does not cut a streamed response that lasts longer than the request timeout', async () => {
      const res = await fetch(`${slow.url}/stream`);
      const reader = res.body!.getReader();
      const started = Date.now();
      let beats = 0;
      while (Date.now() - started < 2_500) {
        const { done } = await reader.read();
        expect(done).toBe(false);
        beats++;
      }
      expect(beats).toBeGreaterThan(5);
      await reader.cancel();
    });

    it('sets nosniff on its own answers', async () => {
      const res = await fetch(`${slow.url}/health/live`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });
});
