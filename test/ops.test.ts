import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ScanEvent } from '@app/contracts';

import { freePorts } from '../deploy/local/ports';
import { randomName, testBrokers, waitFor } from './helpers/kafka';
import { ServiceProcess } from './helpers/ledger-process';
import { startTestRedis, testRedisUrl, type TestRedis } from './helpers/redis';
import { itemNumber } from './helpers/scenario';
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

describe('the operators endpoints of the ledger, the watch, the lag monitor and the notifier, run as processes', () => {
  let ports: { ledger: number; watch: number; lag: number; notifier: number };
  let system: System;
  let lagMonitor: ServiceProcess;
  let notifier: ServiceProcess;
  let stopped = false;
  type Service = 'ledger' | 'watch' | 'lag' | 'notifier';
  const url = (service: Service, path: string) => `http://127.0.0.1:${ports[service]}${path}`;
  const metricsOf = async (service: Service) => (await fetch(url(service, '/metrics'))).text();

  beforeAll(async () => {
    const [ledger, watch, lag, notifierPort] = await freePorts(4);
    ports = { ledger, watch, lag, notifier: notifierPort };
    system = new System(9, {
      LEDGER_METRICS_PORT: String(ledger),
      WATCH_METRICS_PORT: String(watch),
      WATCH_OPEN_HANDOFFS_SECONDS: '1',
    });
    await system.start();
    lagMonitor = new ServiceProcess('lag-monitor', {
      ...system.env,
      REDIS_URL: `${testRedisUrl()}/51`,
      LAG_GROUPS: system.env.LEDGER_GROUP_ID,
      LAG_INTERVAL_SECONDS: '1',
      LAG_LEASE_SECONDS: '3',
      LAG_METRICS_PORT: String(lag),
    });
    notifier = new ServiceProcess('notifier', {
      ...system.env,
      REDIS_URL: `${testRedisUrl()}/53`,
      NOTIFIER_GROUP_ID: `${system.topics.alerts}-notifier`,
      NOTIFIER_METRICS_PORT: String(notifierPort),
    });
  });
  afterAll(async () => {
    if (!stopped) {
      lagMonitor.kill('SIGTERM');
      notifier.kill('SIGTERM');
      await Promise.all([system.stop(), lagMonitor.exited, notifier.exited]);
    }
  });

  const tails = () => [...system.services, lagMonitor, notifier].map((s) => s.tail(15)).join('\n---\n');
  /** the body of /health/ready once it answers 200 */
  const untilReady = (service: Service) =>
    waitFor(
      async () => {
        const r = await fetch(url(service, '/health/ready'));
        return r.status === 200 ? r.text() : '';
      },
      { what: `${service} /health/ready to answer 200; services said:\n${tails()}`, timeoutMs: 60_000 },
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

    const ledger = await waitFor(
      async () => {
        const text = await metricsOf('ledger');
        return sample(text, 'handover_events_total{type="unknown",result="dead_letter"}') >= 1 &&
          sample(text, 'handover_events_total{type="RECEIPT",result="orphan"}') >= 1
          ? text
          : '';
      },
      { what: `the ledger to count the scans; it said:\n${system.services[0].tail()}`, timeoutMs: 60_000 },
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
    const watch = await waitFor(
      async () => {
        const text = await metricsOf('watch');
        return sample(text, 'handover_alerts_total{kind="ORPHAN_CLOSURE",status="FIRING"}') >= 1 &&
          sample(text, 'handover_open_handoffs') === 1
          ? text
          : '';
      },
      { what: `the watch to count the alert and the open hand-off; it said:\n${system.services[1].tail()}` },
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
    const text = await waitFor(
      async () => {
        const t = await metricsOf('lag');
        return sample(t, `kafka_consumergroup_status{group="${group}",status="OK"}`) === 1 ? t : '';
      },
      {
        what: `the lag monitor to report the ledger group; it said:\n${lagMonitor.tail()}`,
        timeoutMs: 60_000,
      },
    );
    expect(
      sample(text, `kafka_consumergroup_lag{group="${group}",topic="${system.topics.scans}",partition="0"}`),
    ).toBe(0);
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
    await Promise.all([untilReady('ledger'), untilReady('watch'), untilReady('lag'), untilReady('notifier')]);
    const exported = new Set([
      ...namesOn(await metricsOf('ledger')),
      ...namesOn(await metricsOf('watch')),
      ...namesOn(await metricsOf('lag')),
      ...namesOn(await metricsOf('notifier')),
    ]);
    const used = new Map<string, string>(); // name -> the file that uses it
    for (const file of readdirSync(join(deploy, 'grafana')).filter((f) => f.endsWith('.json'))) {
      for (const expr of dashboardQueries(JSON.parse(readFileSync(join(deploy, 'grafana', file), 'utf8'))))
        for (const name of metricNamesIn(expr)) used.set(name, `grafana/${file}`);
    }
    for (const file of readdirSync(join(deploy, 'prometheus')).filter((f) => /\.ya?ml$/.test(f))) {
      for (const expr of yamlExprs(readFileSync(join(deploy, 'prometheus', file), 'utf8')))
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

  it('exits 0 on SIGTERM and stops serving', async () => {
    stopped = true;
    lagMonitor.kill('SIGTERM');
    notifier.kill('SIGTERM');
    await system.stop();
    for (const service of [...system.services, lagMonitor, notifier])
      expect((await service.exited).code).toBe(0);
    await expect(fetch(url('ledger', '/health/live'))).rejects.toThrow();
    await expect(fetch(url('watch', '/health/live'))).rejects.toThrow();
    await expect(fetch(url('lag', '/health/live'))).rejects.toThrow();
    await expect(fetch(url('notifier', '/health/live'))).rejects.toThrow();
  });
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
    const what = (state: string) => `the ledger's /health/ready to be ${state}; it said:\n${ledger.tail()}`;
    await waitFor(async () => (await ready()).status === 200, { what: what('200'), timeoutMs: 60_000 });

    await redis.stop();
    const down = await waitFor(async () => ((await ready()).status === 503 ? ready() : null), {
      what: what('503'),
    });
    expect(down).toEqual({
      status: 503,
      body: { status: 'down', checks: { service: 'up', kafka: 'up', redis: 'down', consumer: 'up' } },
    });

    await redis.restart();
    await waitFor(async () => (await ready()).status === 200, { what: what('200 again') });
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

/** The PromQL of a Grafana dashboard: its panels' targets and its query variables. */
function dashboardQueries(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardQueries);
  if (!node || typeof node !== 'object') return [];
  const object = node as Record<string, unknown>;
  const own: string[] = [];
  if (typeof object.expr === 'string') own.push(object.expr);
  if (object.type === 'query' && object.query) {
    const query = object.query as string | { query?: string };
    own.push(typeof query === 'string' ? query : (query.query ?? ''));
  }
  return [...own, ...Object.values(object).flatMap(dashboardQueries)];
}

/** The `expr:` values of a Prometheus rule file, inline or as a `>-` or `|` block (a YAML subset). */
function yamlExprs(text: string): string[] {
  const lines = text.split('\n');
  const indentOf = (line: string) => line.length - line.trimStart().length;
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^(\s*)(?:-\s+)?expr:\s*(.*)$/.exec(lines[i]);
    if (!match) continue;
    const value = match[2].trim();
    if (/^[|>][-+]?$/.test(value)) {
      const block: string[] = [];
      while (i + 1 < lines.length && (!lines[i + 1].trim() || indentOf(lines[i + 1]) > match[1].length))
        block.push(lines[++i].trim());
      exprs.push(block.join(' '));
    } else {
      exprs.push(value.replace(/^(['"])(.*)\1$/, '$2'));
    }
  }
  return exprs;
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
