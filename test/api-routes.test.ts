/**
 * Auth denies by default: every route Nest registered on the API's Express app, found by walking its
 * router, is either one of the few public ones or answers 401 to a request without a token. A route
 * added later without `@Requires` or `@Public()` fails here (it answers 403 to everyone).
 */
import type { AddressInfo } from 'node:net';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';

import { JsonLogger, Metrics } from '@app/observability';

import { loadApiConfig } from '../apps/api/src/api.config';
import { ApiModule } from '../apps/api/src/api.module';
import { configureApiHttp } from '../apps/api/src/http/http-setup';
import { ApiService } from './helpers/api-service';
import { createTopic, testBrokers } from './helpers/kafka';
import { System } from './helpers/system';

/** The routes anyone may call: the dashboard's page and files. Any other must want a token. */
const PUBLIC = ['GET /', 'GET /assets/:file'];

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('the routes of the API', () => {
  const system = new System();
  // only for its tokens file: the app runs in this process, so that its router can be walked
  const tokens = new ApiService({}, { admin: { role: 'admin', facilities: ['*'] } });
  let app: INestApplication;
  let base: string;
  let routes: string[];

  beforeAll(async () => {
    await system.takeDatabase(); // the API alone, without the ledger and watch of system.start()
    await createTopic(testBrokers(), system.topics.alerts, 1);
    await createTopic(testBrokers(), system.topics.summaries, 1, { 'cleanup.policy': 'compact' });
    const config = loadApiConfig({
      ...system.env,
      TOKENS_FILE: tokens.tokensFile,
      API_GROUP_ID: `${system.topics.alerts}-api`,
    });
    const logger = new JsonLogger('error', 'api', () => undefined);
    app = await NestFactory.create(
      ApiModule.forRoot(config, logger, new Metrics('api', { defaults: false })),
      new ExpressAdapter(),
      { logger: false, bodyParser: false },
    );
    configureApiHttp(app, config);
    await app.init();
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
    routes = express.router.stack.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`)
        : [],
    );
  }, 120_000);
  afterAll(() => app?.close());

  it('finds every route of the controllers on the router', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes).toEqual(
      expect.arrayContaining([...PUBLIC, 'GET /api/v1/alerts/stream', 'POST /api/v1/subscriptions']),
    );
  });

  it('answers 401 without a token on every route but the public ones, which answer without one', async () => {
    const answers: string[] = [];
    for (const route of routes) {
      const [method, template] = route.split(' ');
      // a sample value for each parameter: the guard runs before any of them is looked at
      const path = template.replace(/:(\w+)/g, (_, name: string) => (name === 'file' ? 'app.js' : 'X1'));
      const res = await fetch(`${base}${path}`, { method });
      await res.arrayBuffer();
      answers.push(`${route} ${res.status}`);
    }
    const expected = routes.map((route) => `${route} ${PUBLIC.includes(route) ? 200 : 401}`);
    expect(answers).toEqual(expected);
  });
});
