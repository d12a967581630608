/**
 * A real Prometheus Alertmanager for the notifier's tests: Debian's `prometheus-alertmanager` (0.25 on
 * Debian 12; installed with apt-get when missing and we are root, as the dashboard test installs
 * Chromium), on free ports on 127.0.0.1, with a config of the test's own (one receiver that sends
 * nowhere) and a temp storage dir. One alone (no cluster), or an HA pair gossiping with each other as
 * in production. Queried through its API: GET /api/v2/alerts lists the active alerts (a resolved one
 * leaves the list). It keeps alerts in memory only: restart() loses them, as a real restart does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

import { ensureDebianPackages } from '../../deploy/local/debian-packages';
import { freePorts } from '../../deploy/local/ports';
import { waitFor } from './kafka';

export const ALERTMANAGER = process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';

const CONFIG = `# the notifier's tests: every alert is routed to a receiver without integrations (nothing is sent)
route:
  receiver: nowhere
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: nowhere
`;

/** An alert as GET /api/v2/alerts lists it. */
export interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  status: { state: string };
}

function ensureAlertmanager(): void {
  ensureDebianPackages(
    [{ name: 'prometheus-alertmanager', present: () => fs.existsSync(ALERTMANAGER) }],
    'the Alertmanager tests',
  );
}

export class AlertmanagerServer {
  readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly clusterPort: number | null,
    private readonly peerClusterPorts: number[],
    readonly dir: string,
  ) {}

  /** One Alertmanager, no cluster. */
  static async start(): Promise<AlertmanagerServer> {
    ensureAlertmanager();
    const [port] = await freePorts(1);
    const server = new AlertmanagerServer(port, null, [], AlertmanagerServer.tempDir());
    await server.run();
    return server;
  }

  /** Two Alertmanagers clustered with each other (an HA pair). */
  static async startPair(): Promise<[AlertmanagerServer, AlertmanagerServer]> {
    ensureAlertmanager();
    const [a, b, ca, cb] = await freePorts(4);
    const first = new AlertmanagerServer(a, ca, [cb], AlertmanagerServer.tempDir());
    const second = new AlertmanagerServer(b, cb, [ca], AlertmanagerServer.tempDir());
    await Promise.all([first.run(), second.run()]);
    return [first, second];
  }

  private static tempDir(): string {
    const root = process.env.HBM_TEST_ROOT ?? os.tmpdir();
    const dir = fs.mkdtempSync(join(root, 'alertmanager-'));
    fs.writeFileSync(join(dir, 'alertmanager.yml'), CONFIG);
    fs.mkdirSync(join(dir, 'data'));
    return dir;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private args(): string[] {
    const cluster =
      this.clusterPort === null
        ? ['--cluster.listen-address=']
        : [
            `--cluster.listen-address=127.0.0.1:${this.clusterPort}`,
            `--cluster.advertise-address=127.0.0.1:${this.clusterPort}`,
            ...this.peerClusterPorts.map((p) => `--cluster.peer=127.0.0.1:${p}`),
          ];
    return [
      `--config.file=${join(this.dir, 'alertmanager.yml')}`,
      `--storage.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      ...cluster,
    ];
  }

  /** Starts the process and waits until it answers /-/ready. */
  private async run(): Promise<void> {
    const child = spawn(ALERTMANAGER, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 500) this.output.splice(0, this.output.length - 500);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`Alertmanager exited:\n${this.tail()}`);
        const res = await fetch(`${this.url}/-/ready`).catch(() => null);
        return res?.status === 200;
      },
      {
        what: `Alertmanager on ${this.url} to be ready; it said:\n${this.tail()}`,
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
  }

  /** Stops it (SIGTERM, as systemd does) and waits for it to exit. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  /** Stops it and starts it again on the same port and storage: its alerts are gone (memory only). */
  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  /** The active alerts: GET /api/v2/alerts (resolved ones are not listed). */
  async alerts(): Promise<ListedAlert[]> {
    const res = await fetch(`${this.url}/api/v2/alerts`);
    if (res.status !== 200) throw new Error(`GET /api/v2/alerts answered ${res.status}`);
    return (await res.json()) as ListedAlert[];
  }

  /** The active alerts by their alertId label. */
  async alertsById(): Promise<Map<string, ListedAlert>> {
    return new Map((await this.alerts()).map((a) => [a.labels.alertId, a]));
  }

  /** A sample of its own /metrics (alertmanager_alerts_received_total{status="resolved",...}), summed over label sets that match. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
        sum += Number(line.split(' ').pop());
    }
    return sum;
  }

  tail(lines = 20): string {
    return this.output.slice(-lines).join('\n');
  }

  /** Stops it and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
