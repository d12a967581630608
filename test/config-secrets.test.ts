/**
 * Secrets in the configuration, seen from outside: every service run as an operator runs it, with a
 * password in a setting, must print neither a config error nor a start-up line that holds it.
 */
import { freePorts } from '../deploy/local/ports';
import { randomName, testBrokers } from './helpers/kafka';
import { ServiceProcess, waitWhileRunning } from './helpers/ledger-process';
import { testRedisUrl, uniqueRedisDb } from './helpers/redis';

const SERVICES = ['ledger', 'watch', 'api', 'notifier', 'lag-monitor'] as const;

/** Runs a service that must refuse its configuration; resolves to its exit code and what it printed. */
async function refused(
  app: (typeof SERVICES)[number],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const service = new ServiceProcess(app, env);
  const { code } = await service.exited;
  return { code, output: service.output.join('\n') };
}

describe('a service given a secret in a bad setting', () => {
  it.each(SERVICES)('%s names REDIS_URL and stops at start without printing its password', async (app) => {
    const { code, output } = await refused(app, { REDIS_URL: 'redis://:s3cret@host:bad' });
    expect(code).toBe(78);
    expect(output).toMatch(/^config: REDIS_URL: .*"redis:\/\/:\*\*\*@host:bad"/m);
    expect(output).not.toContain('s3cret');
  });

  it.each(SERVICES)(
    '%s refuses SASL without TLS, naming KAFKA_SSL and the setting that allows it',
    async (app) => {
      const { code, output } = await refused(app, {
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'svc',
        KAFKA_SASL_PASSWORD: 'k-s3cret',
        KAFKA_SSL: 'false',
      });
      expect(code).toBe(78);
      expect(output).toMatch(/^config: KAFKA_SSL: must be true when KAFKA_SASL_MECHANISM is set/m);
      expect(output).toContain('KAFKA_ALLOW_SASL_WITHOUT_TLS=true');
      expect(output).not.toContain('k-s3cret');
    },
  );
});

describe('a service that logs where it connects', () => {
  const running: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of running) service.kill('SIGTERM');
    await Promise.all(running.map((s) => s.exited));
  });

  it('shows the Redis URL in its start-up line with the password masked', async () => {
    // the test Redis asks for no password: ioredis warns and goes on, so the services start
    const withPassword = testRedisUrl().replace('redis://', 'redis://:s3cret@');
    const [watchPort, lagPort] = await freePorts(2);
    const [watchDb, lagDb] = [await uniqueRedisDb(), await uniqueRedisDb()];
    const common = { KAFKA_BROKERS: testBrokers(), ALERTS_TOPIC: randomName('secret-alerts') };
    const watch = new ServiceProcess('watch', {
      ...common,
      REDIS_URL: `${withPassword}/${watchDb}`,
      SUMMARIES_TOPIC: randomName('secret-summaries'),
      WATCH_METRICS_PORT: String(watchPort),
    });
    const monitor = new ServiceProcess('lag-monitor', {
      ...common,
      REDIS_URL: `${withPassword}/${lagDb}`,
      LAG_GROUPS: randomName('secret-group'),
      LAG_METRICS_PORT: String(lagPort),
    });
    running.push(watch, monitor);
    for (const [service, line, db] of [
      [watch, '"msg":"watching"', watchDb],
      [monitor, '"msg":"monitoring consumer lag"', lagDb],
    ] as const) {
      const started = await waitWhileRunning(service, () => service.output.find((l) => l.includes(line)), {
        what: `the start-up line ${line}`,
        timeoutMs: 90_000,
        intervalMs: 200,
      });
      expect(JSON.parse(started as string).redis.url).toMatch(
        new RegExp(`^redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/${db}$`),
      );
      expect(JSON.parse(started as string).kafka).toEqual({
        brokers: testBrokers().split(','),
        ssl: false,
        sasl: null,
      });
    }
    for (const service of running) expect(service.output.join('\n')).not.toContain('s3cret');
  });
});
