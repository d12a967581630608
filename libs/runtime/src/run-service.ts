import 'reflect-metadata';

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { DynamicModule, INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ConfigError, redactCredentials } from '@app/config';
import {
  JsonLogger,
  Metrics,
  startOpsServer,
  type HttpTimeouts,
  type LogLevel,
  type MetricsOwner,
  type OpsServer,
  type ReadinessChecks,
} from '@app/observability';

import { handleSignals } from './early-signals';

/** What runService reads of a service's config. */
export interface RunnableConfig {
  logLevel: LogLevel;
  metricsPort: number;
  /** bounds on slow HTTP clients of the service's server; default: HTTP_TIMEOUT_DEFAULTS */
  httpTimeouts?: Partial<HttpTimeouts>;
}

export interface ServiceDefinition<C extends RunnableConfig> {
  name: string;
  /** whose series of SPEC section 9 its /metrics exports */
  metrics: MetricsOwner;
  /** parses the environment; throws ConfigError on bad settings */
  loadConfig(): C;
  /** work before the Nest context is built (creating topics, say); nothing is consumed yet */
  prepare?(config: C, logger: JsonLogger): Promise<void>;
  module(config: C, logger: JsonLogger, metrics: Metrics): DynamicModule;
  /**
   * What GET /health/ready checks while the service runs, by name, from its built context: Kafka,
   * Redis, its main loop. Before the context runs and once shutdown begins, the check `service` is down.
   */
  readiness(app: INestApplicationContext, config: C): ReadinessChecks;
  /**
   * An HTTP service: the module is a Nest application (Express) whose routes answer on `metricsPort`
   * beside /metrics and /health/*, from the same server. Until it has started, and once shutdown
   * begins, its routes answer 503.
   */
  http?: boolean;
  /**
   * An HTTP service's Express set-up, before its routes are registered: Nest's own body parsers are
   * off (their limit and errors are the service's to choose), so a service that takes bodies installs
   * its parser here, with its headers and limits.
   */
  configureHttp?(app: INestApplication, config: C): void;
}

/**
 * Runs a service as operators expect: a bad setting stops it at start with one line per problem (exit
 * 78); logs are JSON lines; /metrics and /health are served on `metricsPort` from the start; SIGTERM
 * or Ctrl-C lets it finish what it has in hand and exit 0 within 30 s.
 * (Nest's own shutdown hooks re-raise the signal, so the process would not exit 0.)
 */
export function runService<C extends RunnableConfig>(service: ServiceDefinition<C>): void {
  let app: INestApplicationContext | undefined;
  let ops: OpsServer | undefined;
  let routes: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let starting = false; // the Nest context is being built: work may begin any moment
  let running = false;
  let closing = false;

  const shutdown = (signal: NodeJS.Signals, logger: JsonLogger): void => {
    if (closing) return;
    closing = true;
    running = false;
    routes = undefined;
    logger.info('shutting down', { signal });
    if (!app && !starting) process.exit(0); // nothing started yet, nothing to finish
    setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000).unref();
    if (!app) return; // the bootstrap closes it as soon as it is built
    app
      .close()
      .then(() => ops?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
  };

  const bootstrap = async (): Promise<void> => {
    let config: C;
    try {
      config = service.loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        for (const problem of error.problems) process.stderr.write(`config: ${problem}\n`);
        process.exit(78); // EX_CONFIG
      }
      throw error;
    }
    const logger = new JsonLogger(config.logLevel, service.name);
    handleSignals((s) => shutdown(s, logger));

    const metrics = new Metrics(service.metrics);
    let checks: ReadinessChecks = {};
    ops = await startOpsServer({
      port: config.metricsPort,
      metrics,
      timeouts: config.httpTimeouts,
      readiness: () => ({ service: () => running, ...checks }),
      otherRoutes: service.http ? (req, res) => (routes ? routes(req, res) : unavailable(res)) : undefined,
    });
    logger.info(`serving metrics and health on ${ops.url}`, { port: ops.port });

    await service.prepare?.(config, logger);
    starting = true;
    const module = service.module(config, logger, metrics);
    let context: INestApplicationContext;
    let handler: typeof routes;
    if (service.http) {
      // loaded only here: the services without HTTP routes do not load Express
      const { ExpressAdapter } = await import('@nestjs/platform-express');
      const adapter = new ExpressAdapter();
      const nest = await NestFactory.create(module, adapter, { logger, bodyParser: false });
      service.configureHttp?.(nest, config);
      await nest.init();
      context = nest;
      handler = adapter.getInstance();
    } else {
      context = await NestFactory.createApplicationContext(module, { logger });
      await context.init();
    }
    app = context;
    checks = service.readiness(context, config);
    if (closing) {
      closing = false;
      shutdown('SIGTERM', logger);
    } else {
      running = true;
      routes = handler;
    }
  };

  bootstrap().catch((error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${service.name}: ${redactCredentials(text)}\n`);
    process.exit(1);
  });
}

function unavailable(res: ServerResponse): void {
  const body = JSON.stringify({
    error: { code: 'UNAVAILABLE', message: 'the service is starting or shutting down' },
  });
  res.writeHead(503, {
    'Content-Type': 'application/json; charset=utf-8',
    'Retry-After': '1',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}
