import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
  /** how long a slow client may take; default: HTTP_TIMEOUT_DEFAULTS */
  timeouts?: Partial<HttpTimeouts>;
}

/**
 * Bounds on slow clients (slow-loris: headers or a body sent a byte at a time, or never finished). They
 * cover receiving the request only: a response that streams for hours (SSE) is not cut by them.
 */
export interface HttpTimeouts {
  /** the request line and headers must have arrived within this */
  headersMs: number;
  /** the whole request, body included, must have arrived within this (at least headersMs) */
  requestMs: number;
  /** an idle keep-alive connection is closed after this */
  keepAliveMs: number;
}

export const HTTP_TIMEOUT_DEFAULTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
};

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
  const limits = { ...HTTP_TIMEOUT_DEFAULTS, ...options.timeouts };

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

  const server = createServer(
    {
      headersTimeout: Math.min(limits.headersMs, limits.requestMs),
      requestTimeout: limits.requestMs,
      keepAliveTimeout: limits.keepAliveMs,
      // Node checks both timeouts at this interval (30 s by default, which would let a slow client
      // hold its connection far longer than the timeout says)
      connectionsCheckingInterval: Math.min(1_000, limits.headersMs),
    },
    (req, res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, error('INTERNAL', (err as Error).message));
        else res.destroy();
      });
    },
  );
  server.on('clientError', answerClientError);
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

/**
 * A request Node could not take (timed out, malformed, headers too large, a body cut short by the
 * client): answered in the error shape of every other error, then the connection is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // a response already under way cannot be followed by another one on the same connection
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'the request headers are too large']
        : err.code === 'HPE_INVALID_EOF_STATE'
          ? [400, 'BAD_REQUEST', 'the request ended before its body was complete']
          : [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  const json = JSON.stringify(error(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nX-Content-Type-Options: nosniff\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${json}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

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
