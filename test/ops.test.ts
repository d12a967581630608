import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Redis from 'ioredis';
import { parse } from 'yaml';

import type { ScanEvent } from '@app/contracts';
import { SubscriptionStore } from '@app/subscriptions';

import { freePorts } from '../deploy/local/ports';
import { ApiService } from './helpers/api-service';
import { produceSteadily, randomName, testBrokers, waitFor } from './helpers/kafka';
import { ServiceProcess, waitUntilReady, waitWhileRunning } from './helpers/ledger-process';
import { LOCAL_RECEIVERS } from './helpers/notifier';
import {
  dashboardQueries,
  grafanaExpr,
  labelValuesQuery,
  plottable,
  prometheusMissing,
  PrometheusServer,
  promtool,
  regexOfValues,
  ruleExpressions,
  withoutThreshold,
  type QueryAnswer,
} from './helpers/prometheus';
import { Receiver } from './helpers/receivers';
import { startTestRedis, uniqueRedisUrl, type TestRedis } from './helpers/redis';
import { itemNumber, makeScenario } from './helpers/scenario';
import { System } from './helpers/system';

/** The lag monitor's series (SPEC section 8), which the dashboard and the alert rules use. */
const LAG_SERIES = [
  'kafka_consumergroup_lag',
  'kafka_consumergroup_lag_seconds',
  'kafka_consumergroup_status',
];
/** Series Prometheus makes itself for every scrape target, not found on any /metrics. */
const PROMETHEUS_OWN = ['up'];

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const deploy = join(__dirname, '..', 'deploy');
const dashboardFile = join(deploy, 'grafana', 'handover-balance.json');
const rulesFile = join(deploy, 'prometheus', 'alerts.yml');

// Debian's prometheus package, installed when missing (as root); where it cannot be, the tests that
// need it are skipped with this reason
const noPrometheus = prometheusMissing();
if (noPrometheus) process.stderr.write(`ops.test.ts: skipping the Prometheus tests: ${noPrometheus}\n`);
const withPrometheus = noPrometheus ? it.skip : it;

describe('the operators endpoints of the five services, run as processes, and a real Prometheus scraping them', () => {
  let ports: Record<Service, number>;
  let system: System;
  let lagMonitor: ServiceProcess;
  let notifier: ServiceProcess;
  let api: ApiService;
  let webhook: Receiver;
  let prometheus: PrometheusServer | undefined;
  let stopped = false;
  type Service = 'ledger' | 'watch' | 'lag' | 'notifier' | 'api';
  const url = (service: Service, path: string) => `http://127.0.0.1:${ports[service]}${path}`;
  const metricsOf = async (service: Service) => (await fetch(url(service, '/metrics'))).text();

  beforeAll(async () => {
    const [ledger, watch, lag, notifierPort] = await freePorts(4);
    system = new System({
      LEDGER_METRICS_PORT: String(ledger),
      WATCH_METRICS_PORT: String(watch),
      WATCH_OPEN_HANDOFFS_SECONDS: '1',
    });
    await system.start();
    lagMonitor = new ServiceProcess('lag-monitor', {
      ...system.env,
      REDIS_URL: await uniqueRedisUrl(),
      LAG_GROUPS: system.env.LEDGER_GROUP_ID,
      LAG_INTERVAL_SECONDS: '1',
      LAG_LEASE_SECONDS: '3',
      LAG_METRICS_PORT: String(lag),
    });
    // a subscription to every alert, so that the notifier delivers and its delivery series have data
    webhook = await Receiver.start();
    const notifierRedisUrl = await uniqueRedisUrl();
    const notifierRedis = new Redis(notifierRedisUrl);
    await new SubscriptionStore(notifierRedis).create(
      {
        name: 'ops webhook',
        channel: 'webhook',
        url: `${webhook.url}/hook`,
        secret: 'ops-webhook-secret',
        facilities: ['*'],
        deliver: ['alerts'],
      },
      'ops.test.ts',
    );
    await notifierRedis.quit();
    notifier = new ServiceProcess('notifier', {
      ...system.env,
      ...LOCAL_RECEIVERS,
      REDIS_URL: notifierRedisUrl,
      NOTIFIER_GROUP_ID: `${system.topics.alerts}-notifier`,
      NOTIFIER_METRICS_PORT: String(notifierPort),
    });
    api = new ApiService(system.env, { sre: { role: 'sre', facilities: ['*'] } });
    await api.start();
    ports = { ledger, watch, lag, notifier: notifierPort, api: api.port };
    if (!noPrometheus) prometheus = await PrometheusServer.start(prometheusConfigFor(ports));
  });
  afterAll(async () => {
    await prometheus?.stop();
    await webhook?.close();
    if (!stopped) {
      lagMonitor.kill('SIGTERM');
      notifier.kill('SIGTERM');
      await Promise.all([system.stop(), lagMonitor.exited, notifier.exited, api?.stop()]);
    }
  });

  const processOf = (service: Service): ServiceProcess =>
    ({
      ledger: system.services[0],
      watch: system.services[1],
      lag: lagMonitor,
      notifier,
      api: api.process,
    })[service];
  /** the body of /health/ready once it answers 200 */
  const untilReady = (service: Service) =>
    waitWhileRunning(
      processOf(service),
      async () => {
        const r = await fetch(url(service, '/health/ready'));
        return r.status === 200 ? r.text() : '';
      },
      { what: `${service} /health/ready to answer 200`, timeoutMs: 60_000 },
    );

  it('reports both services ready once they have joined Kafka and Redis and run their loops', async () => {
    for (const service of ['ledger', 'watch'] as const) {
      const body = await untilReady(service);
      const loop = service === 'ledger' ? 'consumer' : 'watch';
      expect(JSON.parse(body)).toEqual({
        status: 'up',
        checks: { service: 'up', kafka: 'up', redis: 'up', [loop]: 'up' },
      });
      expect((await fetch(url(service, '/health/live'))).status).toBe(200);
    }
    expect(system.services[0].output.join('\n')).toContain(
      `serving metrics and health on http://localhost:${ports.ledger}`,
    );
  });

  it('counts what flowed through the ledger and the watch on their /metrics', async () => {
    const [pc, ds] = ['OPS-PC01', 'OPS-DS01'];
    const now = Date.now();
    const handover: ScanEvent = {
      eventId: `ops-h-${now}`,
      type: 'HANDOVER',
      itemId: itemNumber('CP', 901),
      facilityId: pc,
      from: pc,
      to: ds,
      occurredAt: iso(now - MIN),
    };
    const orphanReceipt: ScanEvent = {
      eventId: `ops-r-${now}`,
      type: 'RECEIPT',
      itemId: itemNumber('CP', 902),
      facilityId: ds,
      from: pc,
      to: ds,
      occurredAt: iso(now - MIN),
    };
    await system.send([handover, handover, orphanReceipt]); // the second copy: a producer's retry
    await system.sendRaw([{ key: pc, value: 'this is not json' }]);

    const ledger = await waitWhileRunning(
      system.services[0],
      async () => {
        const text = await metricsOf('ledger');
        return sample(text, 'handover_events_total{type="unknown",result="dead_letter"}') >= 1 &&
          sample(text, 'handover_events_total{type="RECEIPT",result="orphan"}') >= 1
          ? text
          : '';
      },
      { what: 'the ledger to count the scans', timeoutMs: 60_000 },
    );
    expect(sample(ledger, 'handover_events_total{type="HANDOVER",result="applied"}')).toBe(1);
    expect(sample(ledger, 'handover_events_total{type="HANDOVER",result="duplicate"}')).toBe(1);
    expect(sample(ledger, 'handover_events_total{type="RECEIPT",result="orphan"}')).toBe(1);
    expect(sample(ledger, 'handover_events_total{type="FEEDBACK",result="applied"}')).toBe(0);
    expect(sample(ledger, 'handover_dead_letters_total{reason="INVALID_JSON"}')).toBe(1);
    expect(sample(ledger, 'handover_dead_letters_total{reason="OVERSIZE"}')).toBe(0);
    expect(sample(ledger, 'handover_apply_seconds_count')).toBe(4);
    expect(sample(ledger, 'handover_ready{check="consumer"}')).toBe(1);
    expect(ledger).not.toContain('handover_alerts_total');

    // the receipt becomes an orphan at once (ORPHAN_WAIT_MINUTES=0); the hand-off stays open
    const watch = await waitWhileRunning(
      system.services[1],
      async () => {
        const text = await metricsOf('watch');
        return sample(text, 'handover_alerts_total{kind="ORPHAN_CLOSURE",status="FIRING"}') >= 1 &&
          sample(text, 'handover_open_handoffs') === 1
          ? text
          : '';
      },
      { what: 'the watch to count the alert and the open hand-off' },
    );
    expect(sample(watch, 'handover_alert_delay_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(watch, 'handover_alerts_total{kind="CONSUMER_LAG",status="FIRING"}')).toBe(0);
    expect(sample(watch, 'handover_ready{check="watch"}')).toBe(1);
    expect(watch).not.toContain('handover_events_total');
  });

  it('reports the lag monitor ready, and exports the lag of the ledger group once it has sampled it', async () => {
    expect(JSON.parse(await untilReady('lag'))).toEqual({
      status: 'up',
      checks: { service: 'up', kafka: 'up', redis: 'up', monitor: 'up' },
    });
    const group = system.env.LEDGER_GROUP_ID;
    // scans stream in while this runs (for the Prometheus test): wait for a sample taken once the
    // ledger had caught up
    const lagOf = `kafka_consumergroup_lag{group="${group}",topic="${system.topics.scans}",partition="0"}`;
    const text = await waitWhileRunning(
      lagMonitor,
      async () => {
        const t = await metricsOf('lag');
        const ok = sample(t, `kafka_consumergroup_status{group="${group}",status="OK"}`) === 1;
        return ok && sample(t, lagOf) === 0 ? t : '';
      },
      { what: 'the lag monitor to report the ledger group caught up', timeoutMs: 90_000 },
    );
    expect(sample(text, lagOf)).toBe(0);
    expect(
      sample(
        text,
        `kafka_consumergroup_lag_seconds{group="${group}",topic="${system.topics.scans}",partition="0"}`,
      ),
    ).toBe(0);
    expect(sample(text, `kafka_consumergroup_status{group="${group}",status="STALL"}`)).toBe(0);
    expect(sample(text, 'handover_alerts_total{kind="CONSUMER_LAG",status="FIRING"}')).toBe(0);
    expect(text).not.toContain('handover_events_total');
  });

  it('exports every metric the dashboard and the alert rules use', async () => {
    const services: Service[] = ['ledger', 'watch', 'lag', 'notifier', 'api'];
    await Promise.all(services.map(untilReady));
    const exported = new Set((await Promise.all(services.map(metricsOf))).flatMap(namesOn));
    const used = new Map<string, string>(); // name -> the file that uses it
    for (const file of readdirSync(join(deploy, 'grafana')).filter((f) => f.endsWith('.json'))) {
      for (const { expr } of dashboardQueries(
        JSON.parse(readFileSync(join(deploy, 'grafana', file), 'utf8')),
      ))
        for (const name of metricNamesIn(expr)) used.set(name, `grafana/${file}`);
    }
    for (const file of readdirSync(join(deploy, 'prometheus')).filter((f) => /\.ya?ml$/.test(f))) {
      for (const { expr } of ruleExpressions(readFileSync(join(deploy, 'prometheus', file), 'utf8')))
        for (const name of metricNamesIn(expr)) used.set(name, `prometheus/${file}`);
    }
    // the files are read at all: these are used by both
    expect([...used.keys()]).toEqual(
      expect.arrayContaining([
        'handover_events_total',
        'handover_apply_seconds_bucket',
        'handover_alert_delay_seconds_bucket',
        'handover_ready',
        'handover_deliveries_total',
        ...LAG_SERIES,
      ]),
    );
    const missing = [...used]
      .filter(([name]) => !exported.has(name) && !PROMETHEUS_OWN.includes(name))
      .map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
  });

  withPrometheus(
    'is scraped by a real Prometheus under load, where every dashboard query and rule expression returns data and the rules evaluate healthy',
    async () => {
      const server = prometheus as PrometheusServer;
      const allUp = async () => {
        const targets = await server.targets();
        return targets.length > 0 && targets.every((t) => t.health === 'up');
      };
      await waitFor(allUp, { what: 'every scrape target to be up', timeoutMs: 30_000 }).catch(
        () => undefined,
      );
      const targets = (await server.targets()).sort((a, b) => a.job.localeCompare(b.job));
      expect(targets).toEqual(
        Object.keys(JOB_SERVICE)
          .sort()
          .map((job) => ({ job, health: 'up', lastError: '' })),
      );

      // load: a day of scans with duplicates and closures ahead of their hand-off (orphans, so
      // alerts and deliveries), and every 40th message one the ledger cannot use (dead letters)
      const consumed = async () => {
        const answer = await server.query('sum(handover_events_total)');
        return answer.ok && answer.samples.length === 1 ? Number(answer.samples[0].value) : NaN;
      };
      let before = NaN;
      await waitFor(async () => !Number.isNaN((before = await consumed())), {
        what: 'Prometheus to have the ledger counts',
      });
      const scenario = makeScenario({
        seed: 16,
        items: 500,
        prefix: 'OPSL',
        resent: 0.03,
        doubleScans: 0.02,
        closuresFirst: 0.05,
      });
      const bad = ['not json at all', JSON.stringify({ type: 'HANDOVER', itemId: 'nope' })];
      const messages = scenario.messages.flatMap((m, i) =>
        i % 40 === 39 ? [m, { key: m.key, value: bad[Math.floor(i / 40) % 2] }] : [m],
      );
      await produceSteadily(testBrokers(), system.topics.scans, messages, 100);
      await waitFor(async () => (await consumed()) >= before + messages.length, {
        what: `Prometheus to see the ${messages.length} messages counted by the ledger`,
        timeoutMs: 60_000,
        intervalMs: 500,
      });

      const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as unknown;
      const queries = dashboardQueries(dashboard);
      const variables: Record<string, string> = {};
      for (const { where, expr } of queries.filter((q) => q.where.startsWith('variable '))) {
        const query = labelValuesQuery(expr);
        if (!query) throw new Error(`${where}: only label_values(metric, label) is understood here: ${expr}`);
        const values = await server.labelValues(query.label, query.match);
        expect({ where, values }).toEqual({
          where,
          values: expect.arrayContaining([system.env.LEDGER_GROUP_ID]),
        });
        variables[where.slice('variable $'.length)] = regexOfValues(values);
      }
      const panels = queries
        .filter((q) => !q.where.startsWith('variable '))
        .map((q) => ({ where: q.where, expr: grafanaExpr(q.expr, variables) }));
      const rules = ruleExpressions(readFileSync(rulesFile, 'utf8'));
      const checks = [
        ...panels,
        // a condition is empty while all is well: its left side must have data, the whole must parse
        ...rules.map((r) => ({ where: `rule ${r.name}`, expr: withoutThreshold(r.expr) })),
      ];
      // every query of the files is here: as many as they have "expr" keys
      const exprKeys = (text: string, key: RegExp) => text.match(key)?.length ?? 0;
      expect(panels.length).toBe(exprKeys(readFileSync(dashboardFile, 'utf8'), /"expr":/g));
      expect(rules.length).toBe(exprKeys(readFileSync(rulesFile, 'utf8'), /^\s*expr:/gm));

      const problemsOf = async () => {
        const problems: string[] = [];
        for (const { where, expr } of checks) {
          const why = noData(await server.query(expr));
          if (why) problems.push(`${where}: ${why}: ${expr}`);
        }
        for (const { name, expr } of rules) {
          const answer = await server.query(expr);
          if (!answer.ok) problems.push(`rule ${name}: ${answer.error}: ${expr}`);
        }
        return problems;
      };
      // scrapes and rule evaluations run every second: give the last of the load time to land
      let problems: string[] = [];
      await waitFor(async () => (problems = await problemsOf()).length === 0, {
        what: 'every query to have data',
        timeoutMs: 20_000,
        intervalMs: 1_000,
      }).catch(() => undefined);
      expect(problems).toEqual([]);

      const evaluated = async () => (await server.rules()).every((r) => r.health !== 'unknown');
      await waitFor(evaluated, { what: 'Prometheus to evaluate every rule', timeoutMs: 20_000 });
      expect(
        (await server.rules()).map((r) => ({ rule: r.name, health: r.health, error: r.lastError ?? '' })),
      ).toEqual(rules.map((r) => ({ rule: r.name, health: 'ok', error: '' })));
    },
  );

  it('exits 0 on SIGTERM and stops serving', async () => {
    stopped = true;
    lagMonitor.kill('SIGTERM');
    notifier.kill('SIGTERM');
    api.process.kill('SIGTERM');
    await system.stop();
    for (const service of [...system.services, lagMonitor, notifier, api.process])
      expect((await service.exited).code).toBe(0);
    for (const service of ['ledger', 'watch', 'lag', 'notifier', 'api'] as const)
      await expect(fetch(url(service, '/health/live'))).rejects.toThrow();
  });
});

describe('the Prometheus configuration of deploy/prometheus, checked by promtool', () => {
  withPrometheus('passes promtool check config, with the rule files it names', () => {
    const { status, output } = promtool(['check', 'config', 'prometheus.yml'], join(deploy, 'prometheus'));
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS: 1 rule files found'),
    });
  });

  withPrometheus('passes promtool check rules, with every rule of the file', () => {
    const { status, output } = promtool(['check', 'rules', 'alerts.yml'], join(deploy, 'prometheus'));
    const count = ruleExpressions(readFileSync(rulesFile, 'utf8')).length;
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${count} rules found`),
    });
  });

  withPrometheus(
    'passes promtool check config for the compose copy, with the files compose mounts beside it',
    () => {
      // the files docker-compose.yml mounts into the Prometheus container's /etc/prometheus, laid out alike
      const composeDir = join(deploy, 'compose');
      const compose = parse(readFileSync(join(composeDir, 'docker-compose.yml'), 'utf8')) as {
        services: { prometheus: { volumes: string[] } };
      };
      const dir = mkdtempSync(join(process.env.HBM_TEST_ROOT ?? tmpdir(), 'compose-prometheus-'));
      const mounted = compose.services.prometheus.volumes
        .map((volume) => volume.split(':'))
        .filter(([source, target]) => source.startsWith('.') && target.startsWith('/etc/prometheus/'));
      for (const [source, target] of mounted)
        copyFileSync(join(composeDir, source), join(dir, target.slice('/etc/prometheus/'.length)));
      expect(mounted.map(([, target]) => target).sort()).toEqual([
        '/etc/prometheus/alerts.yml',
        '/etc/prometheus/prometheus.yml',
      ]);
      const { status, output } = promtool(['check', 'config', 'prometheus.yml'], dir);
      expect({ status, output }).toEqual({
        status: 0,
        output: expect.stringContaining('SUCCESS: 1 rule files found'),
      });
    },
  );
});

describe('the readiness of a ledger whose Redis goes away', () => {
  let redis: TestRedis;
  let ledger: ServiceProcess;
  let port: number;
  const ready = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };

  beforeAll(async () => {
    redis = await startTestRedis();
    [port] = await freePorts(1);
    const scans = randomName('ops-scans');
    ledger = new ServiceProcess('ledger', {
      KAFKA_BROKERS: testBrokers(),
      REDIS_URL: redis.url,
      SCAN_TOPIC: scans,
      SCAN_TOPIC_PARTITIONS: '1',
      LEDGER_GROUP_ID: `${scans}-ledger`,
      LEDGER_METRICS_PORT: String(port),
    });
  });
  afterAll(async () => {
    ledger.kill('SIGTERM');
    await ledger.exited;
    await redis.dispose();
  });

  it('answers 503 naming redis while Redis is down, and 200 again once it is back', async () => {
    const what = (state: string) => `the ledger's /health/ready to be ${state}`;
    await waitUntilReady(ledger, port);

    await redis.stop();
    const down = await waitWhileRunning(
      ledger,
      async () => ((await ready()).status === 503 ? ready() : null),
      {
        what: what('503'),
      },
    );
    expect(down).toEqual({
      status: 503,
      body: { status: 'down', checks: { service: 'up', kafka: 'up', redis: 'down', consumer: 'up' } },
    });

    await redis.restart();
    await waitWhileRunning(ledger, async () => (await ready()).status === 200, { what: what('200 again') });
  });
});

/** The value of one sample line, `name{labels} value`; NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** Every series name on a /metrics page: its samples, and families declared without samples yet. */
function namesOn(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line.startsWith('# TYPE ') ? line.split(' ')[2] : line.startsWith('#') ? '' : line.split(/[{ ]/)[0],
    )
    .filter(Boolean);
}

/** The scrape jobs of deploy/prometheus/prometheus.yml and the service each one scrapes. */
const JOB_SERVICE = {
  'handover-ledger': 'ledger',
  'handover-watch': 'watch',
  'handover-lag-monitor': 'lag',
  'handover-notifier': 'notifier',
  'handover-api': 'api',
} as const;

/**
 * deploy/prometheus/prometheus.yml as this test runs it: its jobs and rule files, with each job's
 * targets replaced by the test's service on 127.0.0.1, scraped and evaluated every second.
 */
function prometheusConfigFor(ports: Record<string, number>): Record<string, unknown> {
  const dir = join(deploy, 'prometheus');
  const config = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8')) as {
    global?: Record<string, unknown>;
    rule_files: string[];
    scrape_configs: { job_name: string }[];
  };
  return {
    ...config,
    global: { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: config.rule_files.map((file) => join(dir, file)),
    scrape_configs: config.scrape_configs.map((job) => {
      const service = JOB_SERVICE[job.job_name as keyof typeof JOB_SERVICE];
      if (!service) throw new Error(`prometheus.yml: job ${job.job_name} is not one of the test's services`);
      return { ...job, static_configs: [{ targets: [`127.0.0.1:${ports[service]}`] }] };
    }),
  };
}

/** Why an answer is not data one can plot (an error, no series, only NaN), or '' when it is. */
function noData(answer: QueryAnswer): string {
  if (!answer.ok) return answer.error;
  if (answer.samples.length === 0) return 'no series';
  if (!answer.samples.some((s) => plottable(s.value)))
    return `no plottable value (${answer.samples.map((s) => s.value).join(', ')})`;
  return '';
}

const LABEL_LIST = /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/label_values\(\s*([^,)]+)\s*,[^)]*\)/g, '$1') // Grafana: label_values(metric, label)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(LABEL_LIST, '')
    .replace(/\$\w+/g, '');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const before = bare[match.index - 1] ?? ' ';
    const after = bare.slice(match.index + match[0].length).trimStart()[0];
    if (/[\w.]/.test(before) || after === '(' || KEYWORDS.has(match[0])) continue; // 1e-9, a call, a keyword
    names.push(match[0]);
  }
  return names;
}
