import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Gauge } from 'prom-client';

import type { Metrics } from './metrics';

/** One readiness check: true (or a promise of true) when what it checks is fine. */
export type ReadinessCheck = () => boolean | Promise<boolean>;
export type ReadinessChecks = Record<string, ReadinessCheck>;
export type ReadinessReport = { status: 'up' | 'down'; checks: Record<string, 'up' | 'down'> };

export interface OpsServerOptions {
  /** 0: a free port, chosen by the OS */
  port: number;
  /** default: every interface, so that Prometheus and the orchestrator can reach it */
  host?: string;
  metrics: Metrics;
  /** the checks of /health/ready, read on each request: they change as the service starts and stops */
  readiness: () => ReadinessChecks;
  /** a check that has not answered in this time is down */
  checkTimeoutMs?: number;
  /** answers every other path (an HTTP service's own routes, on the same port); default: 404 */
  otherRoutes?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface OpsServer {
  readonly port: number;
  /** where to reach it from this host */
  readonly url: string;
  /** the checks, as /health/ready reports them */
  ready(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

/**
 * The operators' HTTP endpoints of a service, without auth (SPEC section 7): `GET /metrics` in the
 * Prometheus text format, `GET /health/live` (200 while the process runs) and `GET /health/ready`
 * (200 when every check is up, else 503 naming the checks that are down). A plain Node server of its
 * own, apart from the service's work: a scrape never waits on a batch, nor a batch on a scrape.
 *
 * It also exports `handover_ready{check}` (1 up, 0 down), evaluated at each scrape, so that Prometheus
 * can alert on a service that runs but is not ready.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { metrics, readiness } = options;
  const timeoutMs = options.checkTimeoutMs ?? 2_000;

  const ready = async (): Promise<ReadinessReport> => {
    const entries = Object.entries(readiness());
    const results = await Promise.all(entries.map(([, check]) => runCheck(check, timeoutMs)));
    const checks = Object.fromEntries(
      entries.map(([name], i) => [name, results[i] ? 'up' : 'down'] as const),
    );
    return { status: results.every(Boolean) ? 'up' : 'down', checks };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (!ROUTES.has(path)) {
      if (options.otherRoutes) return options.otherRoutes(req, res);
      return send(res, 404, error('NOT_FOUND', `no ${path} here`));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, error('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`));
    }
    if (path === '/health/live') return send(res, 200, { status: 'up' });
    if (path === '/health/ready') {
      const report = await ready();
      return send(res, report.status === 'up' ? 200 : 503, report);
    }
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, error('INTERNAL', (err as Error).message));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`cannot serve metrics and health: port ${options.port} is already in use`)
          : err,
      );
    server.once('error', onError);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  new Gauge({
    name: READY_METRIC,
    help: 'Readiness of the service by check (1 up, 0 down), as GET /health/ready reports it.',
    labelNames: ['check'] as const,
    registers: [metrics.registry],
    async collect() {
      const report = await ready();
      this.reset();
      for (const [check, state] of Object.entries(report.checks)) this.set({ check }, state === 'up' ? 1 : 0);
    },
  });

  return {
    port,
    url: `http://localhost:${port}`,
    ready,
    close: () =>
      new Promise<void>((resolve) => {
        metrics.registry.removeSingleMetric(READY_METRIC);
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive connections of a scraper would hold close() open
      }),
  };
}

const READY_METRIC = 'handover_ready';
const ROUTES = new Set(['/metrics', '/health/live', '/health/ready']);

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return (await Promise.race([Promise.resolve().then(check), timeout])) === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function error(code: string, message: string) {
  return { error: { code, message } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : json);
}
