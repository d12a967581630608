/**
 * SIGTERM at any moment of a service's start-up, seen from outside: every service, run as an operator
 * runs it, exits 0 whether the signal comes while its modules are still loading, while it connects, or
 * once it runs. (Node's default would end it by the signal, exit 143, before its handlers exist.)
 */
import { randomName, testBrokers } from './helpers/kafka';
import { ServiceProcess } from './helpers/ledger-process';
import { uniqueRedisUrl } from './helpers/redis';

const SERVICES = ['ledger', 'watch', 'api', 'notifier', 'lag-monitor'] as const;
// while ts-node loads and compiles, while it connects to Kafka and Redis, once it runs
const DELAYS_MS = [150, 900, 4_000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a service stopped during its start-up', () => {
  it.each(SERVICES)(
    '%s exits 0 on SIGTERM at any moment',
    async (app) => {
      const outcomes: Record<number, unknown> = {};
      const redisUrl = await uniqueRedisUrl();
      for (const delay of DELAYS_MS) {
        const service = new ServiceProcess(app, {
          KAFKA_BROKERS: testBrokers(),
          REDIS_URL: redisUrl,
          SCAN_TOPIC: randomName('scans'),
          HTTP_PORT: '0',
          LEDGER_METRICS_PORT: '0',
          WATCH_METRICS_PORT: '0',
          NOTIFIER_METRICS_PORT: '0',
          LAG_METRICS_PORT: '0',
        });
        await sleep(delay);
        service.kill('SIGTERM');
        const exited = await service.exited;
        outcomes[delay] = exited.code === 0 ? exited : { ...exited, said: service.tail(10) };
      }
      expect(outcomes).toEqual(Object.fromEntries(DELAYS_MS.map((d) => [d, { code: 0, signal: null }])));
    },
    120_000,
  );
});
