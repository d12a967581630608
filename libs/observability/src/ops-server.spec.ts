import { Metrics } from './metrics';
import { startOpsServer, type OpsServer, type ReadinessChecks } from './ops-server';

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
});
