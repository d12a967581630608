/**
 * A real Prometheus for integration tests: Debian's `prometheus` package (which ships promtool),
 * installed with apt-get when missing and root, run on a free 127.0.0.1 port with a storage dir of its
 * own, and queried over its HTTP API. Also what reads the PromQL out of the project's Grafana dashboard
 * and Prometheus rule files, with Grafana's template variables and interval macros substituted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, stringify } from 'yaml';

import { commandWorks, ensureDebianPackages } from '../../deploy/local/debian-packages';
import { freePort } from '../../deploy/local/ports';
import { waitFor } from './kafka';

export const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
export const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

/**
 * Why Prometheus cannot run here, or undefined when it can (installing the package first if need be).
 * Called while jest collects the tests, so that the tests it concerns are skipped with this reason.
 */
export function prometheusMissing(): string | undefined {
  try {
    ensureDebianPackages(
      [
        {
          name: 'prometheus',
          present: () => commandWorks(PROMETHEUS, ['--version']) && commandWorks(PROMTOOL, ['--version']),
        },
      ],
      'the Prometheus tests',
    );
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** `promtool <args>` in dir: its exit code and what it printed. */
export function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** One sample of an instant query: its labels and its value as Prometheus wrote it ("1", "NaN"). */
export interface Sample {
  metric: Record<string, string>;
  value: string;
}

export type QueryAnswer = { ok: true; samples: Sample[] } | { ok: false; error: string };

export interface RuleState {
  name: string;
  query: string;
  health: string;
  lastError?: string;
  state?: string;
}

/** A Prometheus process with its config and storage in a temp dir, on a free loopback port. */
export class PrometheusServer {
  readonly output: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly url: string,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 500) this.output.splice(0, this.output.length - 500);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Writes the config (an object, as prometheus.yml would hold it), starts, and waits until ready. */
  static async start(config: Record<string, unknown>): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(process.env.HBM_TEST_ROOT ?? tmpdir(), 'prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    const port = await freePort();
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, dir, child);
    await waitFor(async () => (await fetch(`${server.url}/-/ready`)).status === 200, {
      what: `Prometheus to be ready; it said:\n${server.tail()}`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    return server;
  }

  tail(lines = 20): string {
    return this.output.slice(-lines).join('\n');
  }

  /** An instant query at the current time; a PromQL error is an answer, not an exception. */
  async query(expr: string): Promise<QueryAnswer> {
    const body = await this.api<{ resultType: string; result: unknown }>('/api/v1/query', { query: expr });
    if (!body.ok) return body;
    const { resultType, result } = body.data;
    if (resultType === 'scalar' || resultType === 'string') {
      const [, value] = result as [number, string];
      return { ok: true, samples: [{ metric: {}, value }] };
    }
    if (resultType !== 'vector') return { ok: false, error: `unexpected result type ${resultType}` };
    const vector = result as { metric: Record<string, string>; value: [number, string] }[];
    return { ok: true, samples: vector.map((s) => ({ metric: s.metric, value: s.value[1] })) };
  }

  /** The values of a label over the series that match a selector (what Grafana's label_values asks). */
  async labelValues(label: string, match: string): Promise<string[]> {
    const body = await this.api<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values`, {
      'match[]': match,
    });
    if (!body.ok) throw new Error(`label values of ${label} for ${match}: ${body.error}`);
    return body.data;
  }

  /** The recording and alerting rules as Prometheus last evaluated them. */
  async rules(): Promise<RuleState[]> {
    const body = await this.api<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules', {});
    if (!body.ok) throw new Error(`GET /api/v1/rules: ${body.error}`);
    return body.data.groups.flatMap((g) => g.rules);
  }

  /** The scrape targets and their health ("up", "down", "unknown"), by job. */
  async targets(): Promise<{ job: string; health: string; lastError: string }[]> {
    const body = await this.api<{
      activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
    }>('/api/v1/targets', { state: 'active' });
    if (!body.ok) throw new Error(`GET /api/v1/targets: ${body.error}`);
    return body.data.activeTargets.map((t) => ({
      job: t.labels.job,
      health: t.health,
      lastError: t.lastError,
    }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  private async api<T>(
    path: string,
    params: Record<string, string>,
  ): Promise<{ ok: true; data: T } | { ok: false; error: string }> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    return body.status === 'success'
      ? { ok: true, data: body.data }
      : { ok: false, error: `${body.errorType}: ${body.error}` };
  }
}

// The PromQL of the project's dashboard and rules.

/** A query of a dashboard: where it is (panel title and refId, or the variable) and its PromQL. */
export interface DashboardQuery {
  where: string;
  expr: string;
}

/** The PromQL of a Grafana dashboard: its panels' targets (rows included) and its query variables. */
export function dashboardQueries(node: unknown, panel = ''): DashboardQuery[] {
  if (Array.isArray(node)) return node.flatMap((n) => dashboardQueries(n, panel));
  if (!node || typeof node !== 'object') return [];
  const object = node as Record<string, unknown>;
  const title = typeof object.title === 'string' && 'type' in object ? object.title : panel;
  const own: DashboardQuery[] = [];
  if (typeof object.expr === 'string')
    own.push({ where: `panel "${panel}" ${String(object.refId ?? '')}`.trim(), expr: object.expr });
  if (object.type === 'query' && object.query) {
    const query = object.query as string | { query?: string };
    own.push({
      where: `variable $${String(object.name)}`,
      expr: typeof query === 'string' ? query : (query.query ?? ''),
    });
  }
  return [...own, ...Object.values(object).flatMap((n) => dashboardQueries(n, title))];
}

/** A rule of a Prometheus rule file. */
export interface RuleExpression {
  name: string;
  expr: string;
}

/** The rules of a Prometheus rule file (alerting and recording), in file order. */
export function ruleExpressions(text: string): RuleExpression[] {
  const file = parse(text) as { groups?: { rules?: { alert?: string; record?: string; expr: string }[] }[] };
  return (file.groups ?? []).flatMap((g) =>
    (g.rules ?? []).map((r) => ({ name: r.alert ?? r.record ?? '?', expr: String(r.expr).trim() })),
  );
}

/**
 * The condition of an alert rule without its threshold: `x > 0.01` becomes `x`, whose series a test
 * can see (the condition itself is empty while nothing is wrong). Comparison binds looser than
 * arithmetic, so dropping a trailing `op number` leaves the whole left side. An expression with no
 * trailing comparison comes back as it is.
 */
export function withoutThreshold(expr: string): string {
  return expr.replace(/\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i, '');
}

/** Grafana's interval macros, as Grafana would fill them for a dashboard over the last few minutes. */
export const GRAFANA_MACROS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};

/**
 * A dashboard query as Grafana sends it: `$name`, `${name}` and `[[name]]` replaced by the macros and
 * the variables given (a variable's value already formatted, e.g. `(a|b)` for several). A `$` left
 * over is an unknown variable, and throws.
 */
export function grafanaExpr(expr: string, variables: Record<string, string>): string {
  const values: Record<string, string> = { ...GRAFANA_MACROS, ...variables };
  const filled = expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    if (!(name in values)) throw new Error(`unknown Grafana variable ${whole} in ${expr}`);
    return values[name];
  });
  return filled;
}

/** `label_values(metric, label)`: the metric selector and the label, or undefined for another query. */
export function labelValuesQuery(query: string): { match: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$/.exec(query);
  return m ? { match: m[1], label: m[2] } : undefined;
}

/** Several values of a multi-value variable as Grafana formats them for a regex matcher. */
export function regexOfValues(values: string[]): string {
  const escaped = values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'));
  return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
}

/** True when a value Prometheus returned is a number one can plot (not NaN or infinite). */
export function plottable(value: string): boolean {
  return Number.isFinite(Number(value));
}
