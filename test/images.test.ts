/**
 * The deployment run for real: the local base images built from Debian packages (`npm run images`,
 * cached across runs by their inputs label), the project's image built from the working tree on
 * them, and deploy/compose/docker-compose.yml brought up with deploy/compose/local-images.env. The
 * shipped sample scans go in through the published Kafka port; the expected alerts must come out on
 * the alerts topic and through the API with a token from a mounted tokens file. Every service must
 * run as non-root on a read-only root filesystem, and `compose stop` must end each with exit 0
 * within its grace period; `down -v` removes everything at the end.
 *
 * Needs a Docker daemon: as root on Debian, docker.io is installed and dockerd started when missing
 * (deploy/images/docker.ts); where that cannot be, the reason is printed and the suite is skipped.
 * Talks to 127.0.0.1 only (every port is published there) and to the stack's own network.
 * The figures of a run (image sizes and times, up -> healthy -> first alert, stop exit codes) are
 * printed and written to test-artifacts/compose-stack.json.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';

import { freePorts } from '../deploy/local/ports';
import { parseDeb822Sources, parseOneLineSources, pickDebianMirror } from '../deploy/images/debian-mirror';
import { composeCommand, docker, DOCKER_ENV, dockerOut, dockerProblem } from '../deploy/images/docker';
import {
  buildLocalImages,
  INPUTS_LABEL,
  LOCAL_IMAGES,
  localImagesEnv,
  removeOldBuildStages,
  type ImageResult,
} from '../deploy/images/images';
import { randomName, testKafka, waitFor } from './helpers/kafka';

const root = join(__dirname, '..');
const composeFile = join(root, 'deploy', 'compose', 'docker-compose.yml');
const localEnvFile = join(root, 'deploy', 'compose', 'local-images.env');
const SERVICES = ['ledger', 'watch', 'api', 'notifier', 'lag-monitor'] as const;
const STARTED = ['kafka', 'redis', ...SERVICES, 'prometheus'];
/** What the sample (deploy/local/sample-scans.jsonl) raises at once, re-timed to end a minute ago (by kind). */
const EXPECTED_ALERTS = [
  { kind: 'FEEDBACK_OVERDUE', facilityId: 'ZJ-HZ-DS07', items: ['EA202611283CN'] },
  { kind: 'RECEIPT_OVERDUE', facilityId: 'ZJ-HZ-PC01', items: ['EA300000012CN'] },
  { kind: 'UNCONSENTED_DELIVERY', facilityId: 'ZJ-HZ-DS07', items: ['EB000000014CN'] },
];

/** Why this suite cannot run here, or undefined (then Docker and a compose command are ready). */
function whyNot(): string | undefined {
  const problem = dockerProblem();
  if (problem) return problem;
  try {
    composeCommand();
    return undefined;
  } catch (error) {
    return `no compose command: ${(error as Error).message}`;
  }
}
const cannotRun = whyNot();
if (cannotRun) process.stderr.write(`test/images.test.ts is skipped on this machine: ${cannotRun}\n`);
const describeWithDocker = cannotRun === undefined ? describe : describe.skip;

interface Alert {
  alertId: string;
  kind: string;
  status: string;
  facilityId: string;
  items: string[];
}
/** The part of `docker inspect` this test reads. */
interface ContainerInfo {
  Config: { User: string };
  HostConfig: { ReadonlyRootfs: boolean; PortBindings: Record<string, { HostIp: string }[]> | null };
  State: { Pid: number; Running: boolean; ExitCode: number; FinishedAt: string; Health?: { Status: string } };
}
/** Alerts of the sample's kinds: a CONSUMER_LAG alert of a busy machine is no part of what it raises. */
const fromSample = (a: { kind: string }) => EXPECTED_ALERTS.some((e) => e.kind === a.kind);
const picked = (a: Alert) => ({ kind: a.kind, facilityId: a.facilityId, items: a.items });
const byKind = (a: { kind: string }, b: { kind: string }) => a.kind.localeCompare(b.kind);
const seconds = (ms: number) => Math.round(ms / 100) / 10;

describe('the Debian mirror the base image is bootstrapped from', () => {
  it('is read from one-line and deb822 sources lists, skipping security, updates and other archives', () => {
    const oneLine = parseOneLineSources(
      [
        '# deb http://old.example/debian bookworm main',
        'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main contrib',
        'deb http://security.example/debian-security bookworm-security main',
        'deb-src http://src.example/debian bookworm main',
      ].join('\n'),
    );
    expect(oneLine.map((s) => s.uri)).toEqual([
      'http://mirror.example/debian/',
      'http://security.example/debian-security',
    ]);
    const deb822 = parseDeb822Sources(
      [
        'Types: deb',
        'URIs: http://updates.example/debian',
        'Suites: bookworm-updates',
        'Components: main',
        '',
        'Types: deb deb-src',
        'URIs: http://a.example/debian',
        '  http://b.example/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        '',
        'Types: deb',
        'URIs: https://vendor.example/apt',
        'Suites: nodistro',
        'Components: main',
        'Enabled: no',
      ].join('\n'),
    );
    expect(deb822.map((s) => s.uri)).toEqual([
      'http://updates.example/debian',
      'http://a.example/debian',
      'http://b.example/debian',
    ]);
    expect(pickDebianMirror([...deb822, ...oneLine])).toBe('http://a.example/debian');
    expect(pickDebianMirror(oneLine)).toBe('http://mirror.example/debian');
    expect(pickDebianMirror(parseOneLineSources('deb https://vendor.example/apt stable main'))).toBe(
      'https://vendor.example/apt',
    );
    expect(
      pickDebianMirror(parseOneLineSources('deb http://x.example/debian-security trixie-security main')),
    ).toBe(undefined);
  });
});

describeWithDocker('the local images and the compose stack on them', () => {
  const figures: Record<string, unknown> = {};
  let images: ImageResult[] = [];

  beforeAll(async () => {
    const started = Date.now();
    images = await buildLocalImages();
    figures.images = images.map(({ tag, action, seconds: s, bytes }) => ({
      tag,
      action,
      seconds: Math.round(s * 10) / 10,
      megabytes: Math.round(bytes / 1e6),
    }));
    figures.imagesSeconds = seconds(Date.now() - started);
  }, 30 * 60_000);

  afterAll(() => {
    const text = JSON.stringify(figures, null, 2);
    process.stdout.write(`compose stack figures:\n${text}\n`);
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    writeFileSync(join(root, 'test-artifacts', 'compose-stack.json'), `${text}\n`);
  });

  it('builds every local image from Debian packages, labelled with its inputs, and a second run builds none', async () => {
    expect(images.map((i) => i.tag)).toEqual(Object.values(LOCAL_IMAGES).map((i) => i.tag));
    for (const image of images) {
      const labels = JSON.parse(
        dockerOut(['image', 'inspect', image.tag, '--format', '{{json .Config.Labels}}']),
      );
      expect({ tag: image.tag, label: (labels as Record<string, string>)[INPUTS_LABEL] }).toEqual({
        tag: image.tag,
        label: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(image.bytes).toBeGreaterThan(50e6);
    }
    const started = Date.now();
    const again = await buildLocalImages();
    figures.cachedImagesSeconds = seconds(Date.now() - started);
    expect(again.map((i) => [i.tag, i.action])).toEqual(images.map((i) => [i.tag, 'cached']));
  }, 120_000);

  it('runs Debian software in them: Node 20, Kafka 4.1.1 on a JRE, Redis with its tools, Prometheus', () => {
    const version = (tag: string, ...command: string[]) =>
      dockerOut(['run', '--rm', '--network', 'none', '--entrypoint', command[0], tag, ...command.slice(1)], {
        timeoutMs: 60_000,
      });
    expect(version(LOCAL_IMAGES.node.tag, 'node', '--version')).toMatch(/^v20\./);
    expect(version(LOCAL_IMAGES['node-build'].tag, 'npm', '--version')).toMatch(/^\d+\./);
    expect(version(LOCAL_IMAGES.kafka.tag, 'sh', '-c', 'ls /opt/kafka/libs; java -version 2>&1')).toMatch(
      /kafka_2\.13-4\.1\.1\.jar[\s\S]*openjdk version "21/,
    );
    expect(version(LOCAL_IMAGES.redis.tag, 'redis-server', '--version')).toMatch(/Redis server v=\d/);
    expect(version(LOCAL_IMAGES.prometheus.tag, '/usr/bin/prometheus', '--version')).toMatch(
      /prometheus, version 2\./,
    );
  }, 120_000);

  it('names exactly these images in deploy/compose/local-images.env', () => {
    const env = Object.fromEntries(
      readFileSync(localEnvFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toEqual(localImagesEnv());
  });

  describe('docker compose up with deploy/compose/local-images.env', () => {
    const project = `hbm${randomBytes(4).toString('hex')}`;
    let compose: string[] = [];
    let configDir = '';
    const token = randomBytes(24).toString('base64url');
    const supervisorToken = randomBytes(24).toString('base64url');
    const env: Record<string, string> = {};
    let upStarted = 0;
    let produced = 0;
    const containers = new Map<string, string>(); // service -> container id
    const alerts = new Map<string, Alert>();
    let firstAlertAt = 0;
    let stopConsumer: (() => Promise<void>) | undefined;

    const run = (args: string[], timeoutMs = 300_000) =>
      spawnSync(
        compose[0],
        [...compose.slice(1), '-p', project, '--env-file', localEnvFile, '-f', composeFile, ...args],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, ...DOCKER_ENV, ...env },
        },
      );
    const mustRun = (args: string[], timeoutMs?: number) => {
      const result = run(args, timeoutMs);
      if (result.status !== 0)
        throw new Error(
          `${compose.join(' ')} ${args.join(' ')}: ${result.error?.message ?? `exit ${result.status}`}\n${result.stdout.slice(-3_000)}\n${result.stderr.slice(-3_000)}`,
        );
      return result.stdout;
    };
    const inspect = (id: string) => (JSON.parse(dockerOut(['inspect', id])) as ContainerInfo[])[0];
    const logsOf = (service: string) => {
      const id = containers.get(service);
      return id
        ? `${docker(['logs', '--tail', '40', id]).stdout}${docker(['logs', '--tail', '40', id]).stderr}`
        : '';
    };

    beforeAll(async () => {
      compose = composeCommand();
      const version = spawnSync(compose[0], [...compose.slice(1), 'version', '--short'], {
        encoding: 'utf8',
      });
      figures.compose = `${compose.join(' ')} ${version.stdout.trim()}`;
      figures.dockerServer = dockerOut(['version', '--format', '{{.Server.Version}}']);
      const [kafkaPort, apiPort, prometheusPort] = await freePorts(3);
      configDir = mkdtempSync(join(tmpdir(), 'hbm-compose-config-'));
      chmodSync(configDir, 0o755);
      copyFileSync(join(root, 'deploy', 'config', 'facilities.json'), join(configDir, 'facilities.json'));
      const digest = (t: string) => createHash('sha256').update(t).digest('hex');
      writeFileSync(
        join(configDir, 'tokens.json'),
        JSON.stringify({
          tokens: [
            { name: 'compose-admin', sha256: digest(token), role: 'admin', facilities: ['*'] },
            {
              name: 'compose-pc01',
              sha256: digest(supervisorToken),
              role: 'supervisor',
              facilities: ['ZJ-HZ-PC01'],
            },
          ],
        }),
      );
      for (const file of ['facilities.json', 'tokens.json']) chmodSync(join(configDir, file), 0o644);
      Object.assign(env, {
        HBM_IMAGE: 'handover-balance:compose-test',
        HBM_CONFIG_DIR: configDir,
        HBM_KAFKA_PORT: String(kafkaPort),
        HBM_API_PORT: String(apiPort),
        HBM_PROMETHEUS_PORT: String(prometheusPort),
      });

      const buildStarted = Date.now();
      mustRun(['build'], 20 * 60_000);
      figures.appImageBuildSeconds = seconds(Date.now() - buildStarted);
      figures.oldBuildStagesRemoved = removeOldBuildStages();
      figures.appImageMegabytes = Math.round(
        Number(dockerOut(['image', 'inspect', env.HBM_IMAGE, '--format', '{{.Size}}'])) / 1e6,
      );

      upStarted = Date.now();
      mustRun(['up', '-d', '--no-build'], 10 * 60_000);
      for (const service of STARTED) {
        const id = mustRun(['ps', '-q', service]).trim();
        if (!id) throw new Error(`compose started no container for ${service}`);
        containers.set(service, id);
      }
      const withHealthCheck = STARTED.filter((s) => inspect(containers.get(s) as string).State.Health);
      const health = (s: string) => inspect(containers.get(s) as string).State.Health?.Status;
      await waitFor(
        () => {
          const states = withHealthCheck.map((s) => [s, health(s)]);
          const bad = states.find(([, status]) => status === 'unhealthy');
          if (bad) throw new Error(`${bad[0]} is unhealthy:\n${logsOf(String(bad[0]))}`);
          return states.every(([, status]) => status === 'healthy');
        },
        { what: `${withHealthCheck.join(', ')} healthy`, timeoutMs: 5 * 60_000, intervalMs: 1_000 },
      );
      figures.upToHealthySeconds = seconds(Date.now() - upStarted);
      figures.healthChecked = withHealthCheck;
    }, 30 * 60_000);

    afterAll(async () => {
      await stopConsumer?.().catch(() => undefined);
      const down = run(['down', '-v', '--remove-orphans'], 5 * 60_000);
      figures.downExitCode = down.status;
      if (configDir) rmSync(configDir, { recursive: true, force: true });
      const left = dockerOut(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]);
      const volumes = dockerOut([
        'volume',
        'ls',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${project}`,
      ]);
      expect({ down: down.status, containers: left, volumes }).toEqual({
        down: 0,
        containers: '',
        volumes: '',
      });
    }, 5 * 60_000);

    it('publishes every port on 127.0.0.1 only', () => {
      const published = [...containers].flatMap(([service, id]) =>
        Object.entries(
          (inspect(id).HostConfig.PortBindings ?? {}) as Record<string, { HostIp: string }[]>,
        ).flatMap(([port, bindings]) => bindings.map((b) => ({ service, port, hostIp: b.HostIp }))),
      );
      expect(published.map((p) => p.service).sort()).toEqual(['api', 'kafka', 'prometheus']);
      for (const p of published) expect(p).toEqual({ ...p, hostIp: '127.0.0.1' });
    });

    it('runs every service as a non-root user on a read-only root filesystem', () => {
      for (const [service, id] of containers) {
        const info = inspect(id);
        const uids = readFileSync(`/proc/${info.State.Pid}/status`, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('Uid:'))
          ?.split(/\s+/)
          .slice(1)
          .map(Number);
        const write = docker(['exec', id, 'sh', '-c', 'touch /hbm-probe']);
        expect({
          service,
          user: info.Config.User,
          readOnly: info.HostConfig.ReadonlyRootfs,
          rootUid: uids?.some((uid) => uid === 0),
          write: write.status === 0 ? 'written' : write.stderr.trim(),
        }).toEqual({
          service,
          user: expect.stringMatching(/^(?!root$|0$|0:).+/),
          readOnly: true,
          rootUid: false,
          write: expect.stringContaining('Read-only file system'),
        });
      }
    });

    it('turns the shipped sample scans into the expected alerts, on the alerts topic and through the API', async () => {
      const brokers = `127.0.0.1:${env.HBM_KAFKA_PORT}`;
      const consumer = testKafka(brokers).consumer({ groupId: randomName('compose-alerts') });
      await consumer.connect();
      stopConsumer = () => consumer.disconnect();
      // the watch creates the alerts topic when it starts; it is healthy by now
      await consumer.subscribe({ topic: 'handover.alerts', fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const alert = JSON.parse(String(message.value)) as Alert;
          if (firstAlertAt === 0 && fromSample(alert)) firstAlertAt = Date.now();
          alerts.set(alert.alertId, alert);
        },
      });

      produced = Date.now();
      const produce = spawnSync(
        process.execPath,
        ['-r', './deploy/local/register.js', 'deploy/local/produce.ts', 'deploy/local/sample-scans.jsonl'],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 120_000,
          env: { PATH: process.env.PATH, KAFKA_BROKERS: brokers },
        },
      );
      expect({ status: produce.status, stdout: produce.stdout, stderr: produce.stderr }).toEqual({
        status: 0,
        stdout: expect.stringMatching(/^sent 33 events to postal\.scan-events .*re-timed/),
        stderr: '',
      });

      const onTopic = await waitFor(
        () => {
          const firing = [...alerts.values()]
            .filter((a) => a.status === 'FIRING' && a.kind !== 'CONSUMER_LAG')
            .map(picked)
            .sort(byKind);
          return EXPECTED_ALERTS.every((e) => firing.some((f) => f.kind === e.kind)) && firing;
        },
        {
          what: `${EXPECTED_ALERTS.map((e) => e.kind).join(', ')} on handover.alerts`,
          timeoutMs: 120_000,
          intervalMs: 250,
        },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nwatch:\n${logsOf('watch')}\nledger:\n${logsOf('ledger')}`);
      });
      figures.upToFirstAlertSeconds = seconds(firstAlertAt - upStarted);
      figures.sentToFirstAlertSeconds = seconds(firstAlertAt - produced);
      // The sample is re-timed to end a minute ago, so where it falls in the facilities' shifts depends on
      // the time of day the test runs: when it lands in a shift that has closed already (a station's
      // evening gap belongs to its PM shift), that shift also closes unbalanced. Every other alert is
      // exactly the sample's.
      const firing = onTopic || [];
      expect(firing.filter(fromSample)).toEqual(EXPECTED_ALERTS);
      const sampleItems = new Set(
        [
          ...readFileSync(join(root, 'deploy/local/sample-scans.jsonl'), 'utf8').matchAll(
            /"itemId":"(\w+)"/g,
          ),
        ].map((m) => m[1]),
      );
      for (const extra of firing.filter((a) => !fromSample(a))) {
        expect({ kind: extra.kind, itemsFromSample: extra.items.every((i) => sampleItems.has(i)) }).toEqual({
          kind: 'SHIFT_UNBALANCED',
          itemsFromSample: true,
        });
      }

      const api = `http://127.0.0.1:${env.HBM_API_PORT}/api/v1/alerts?limit=50`;
      const list = async (bearer: string) => {
        const response = await fetch(api, { headers: { authorization: `Bearer ${bearer}` } });
        return { status: response.status, body: (await response.json()) as { items: Alert[] } };
      };
      let seen: Alert[] = [];
      await waitFor(
        async () => {
          const { status, body } = await list(token);
          seen = status === 200 ? body.items.filter(fromSample) : [];
          return seen.length >= EXPECTED_ALERTS.length;
        },
        { what: 'the alerts through the API', timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(seen.map(picked).sort(byKind)).toEqual(EXPECTED_ALERTS);
      // the mounted tokens file decides: a supervisor of the processing centre sees its alert only
      const scoped = await list(supervisorToken);
      expect({
        status: scoped.status,
        kinds: scoped.body.items.filter(fromSample).map((a) => a.kind),
      }).toEqual({
        status: 200,
        kinds: ['RECEIPT_OVERDUE'],
      });
      expect((await fetch(api)).status).toBe(401);
      expect((await fetch(api, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    }, 240_000);

    it('scrapes every service from the stack Prometheus', async () => {
      let targets: { labels: { job: string }; health: string }[] = [];
      await waitFor(
        async () => {
          const response = await fetch(`http://127.0.0.1:${env.HBM_PROMETHEUS_PORT}/api/v1/targets`);
          const body = (await response.json()) as {
            data: { activeTargets: { labels: { job: string }; health: string }[] };
          };
          targets = body.data.activeTargets;
          return targets.length === SERVICES.length && targets.every((t) => t.health === 'up');
        },
        { what: 'every scrape target up', timeoutMs: 90_000, intervalMs: 1_000 },
      );
      expect(targets.map((t) => t.labels.job).sort()).toEqual(SERVICES.map((s) => `handover-${s}`).sort());
    }, 120_000);

    it(
      'stops every service with exit 0 within its grace period',
      () => {
        const services = (
          parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
            services: Record<string, { stop_grace_period?: string }>;
          }
        ).services;
        const graceOf = (service: string) =>
          Number(/^(\d+)s$/.exec(services[service].stop_grace_period ?? '10s')?.[1]);
        const stopStarted = Date.now();
        const stop = run(['stop'], 5 * 60_000);
        figures.stopSeconds = seconds(Date.now() - stopStarted);
        expect(stop.status).toBe(0);
        const ended = [...containers].map(([service, id]) => {
          const state = inspect(id).State;
          const tookMs = Date.parse(state.FinishedAt) - stopStarted;
          return {
            service,
            exitCode: state.ExitCode as number,
            running: state.Running,
            inGrace: tookMs < graceOf(service) * 1000,
            tookSeconds: seconds(tookMs),
          };
        });
        figures.stop = ended;
        for (const e of ended)
          expect({ ...e, tookSeconds: undefined }).toEqual({
            service: e.service,
            exitCode: 0,
            running: false,
            inGrace: true,
            tookSeconds: undefined,
          });
      },
      5 * 60_000,
    );
  });
});
