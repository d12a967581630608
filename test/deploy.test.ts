/**
 * Deployment: what can be checked without a Docker daemon or a cluster. `npm run build` runs once;
 * the built services start from dist/ with plain node against the run's real Kafka and Redis; the
 * Dockerfile's build stage works from the files it copies; the compose file passes `docker compose
 * config` (installed with apt-get when missing and root) and carries what each service needs; every
 * Kubernetes manifest parses and is consistent with the services' config schemas and ports.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';

import { parse, parseAllDocuments } from 'yaml';
import { ZodEffects, ZodIntersection, ZodObject, ZodPipeline, ZodType, type ZodTypeAny } from 'zod';

import { composeCommand } from '../deploy/images/docker';
import { localImagesEnv } from '../deploy/images/images';
import { freePort } from '../deploy/local/ports';
import { randomName, testBrokers, waitFor } from './helpers/kafka';
import {
  KUBERNETES_SCHEMA_VERSION,
  type Manifest,
  schemaProblems,
  unknownFieldProblems,
} from './helpers/kubernetes-schemas';
import { uniqueRedisUrl } from './helpers/redis';

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const SERVICES = ['ledger', 'watch', 'api', 'notifier', 'lag-monitor'] as const;
type Service = (typeof SERVICES)[number];
/** the port each service serves /metrics and /health on (README, Metrics and health) */
const PORT_ENV: Record<Service, string> = {
  ledger: 'LEDGER_METRICS_PORT',
  watch: 'WATCH_METRICS_PORT',
  api: 'HTTP_PORT',
  notifier: 'NOTIFIER_METRICS_PORT',
  'lag-monitor': 'LAG_METRICS_PORT',
};

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function run(cmd: string, args: string[], cwd = root, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env } });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The environment variable names a zod env schema reads. */
function envNames(schema: ZodTypeAny): string[] {
  if (schema instanceof ZodObject) return Object.keys(schema.shape as object);
  if (schema instanceof ZodIntersection)
    return [...envNames(schema._def.left), ...envNames(schema._def.right)];
  if (schema instanceof ZodEffects) return envNames(schema._def.schema);
  if (schema instanceof ZodPipeline) return envNames(schema._def.in);
  return [];
}

/** The env schema of a service: the `*Env` zod schema its `<name>.config.ts` exports. */
function envSchemaOf(service: Service): ZodTypeAny {
  const dir = join(root, 'apps', service, 'src');
  const file = readdirSync(dir).find((f) => f.endsWith('.config.ts'));
  if (!file) throw new Error(`apps/${service}/src has no *.config.ts`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(dir, file)) as Json;
  const found = Object.entries(mod).find(([name, v]) => name.endsWith('Env') && v instanceof ZodType);
  if (!found) throw new Error(`apps/${service}/src/${file} exports no *Env zod schema`);
  return found[1] as ZodTypeAny;
}

/** Parses `env` with the service's schema; returns the problems (empty: valid). */
function envProblems(service: Service, env: Record<string, string>): string[] {
  const result = envSchemaOf(service).safeParse(env);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function portOf(service: Service, env: Record<string, string>): number {
  const parsed = envSchemaOf(service).parse(env) as Json;
  return Number(parsed[PORT_ENV[service]]);
}

/** Every file the Dockerfile, compose file and manifests start must exist in dist/. */
function expectBuilt(script: string, where: string): void {
  expect({ where, script, exists: existsSync(join(root, script)) }).toEqual({ where, script, exists: true });
  expect(script.startsWith('dist/')).toBe(true);
}

beforeAll(() => {
  const build = run('npm', ['run', 'build']);
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}, 300_000);

describe('the build', () => {
  it('puts every service, the Lua scripts, the dashboard and the default config files into dist', () => {
    for (const service of SERVICES) expectBuilt(`dist/apps/${service}/src/main.js`, 'build');
    const lua = filesUnder(join(root, 'libs', 'ledger', 'src', 'lua')).map((f) => relative(root, f));
    expect(lua.length).toBeGreaterThan(5);
    for (const file of lua) expect(existsSync(join(dist, file))).toBe(true);
    for (const file of filesUnder(join(root, 'apps', 'api', 'src', 'dashboard')))
      expect(existsSync(join(dist, relative(root, file)))).toBe(true);
    expect(existsSync(join(dist, 'deploy', 'config', 'facilities.json'))).toBe(true);
    expect(existsSync(join(dist, 'deploy', 'healthcheck.js'))).toBe(true);
    const js = filesUnder(dist).filter((f) => f.endsWith('.js'));
    expect(js.some((f) => /\.(spec|test)\.js$/.test(f))).toBe(false);
    expect(js.filter((f) => /require\(["']@app\//.test(readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('needs no package outside the production dependencies of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const needed = new Set<string>();
    for (const file of filesUnder(dist).filter((f) => f.endsWith('.js'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\(["']([^"'.][^"']*)["']\)/g)) {
        if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
        needed.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
    expect(needed.size).toBeGreaterThan(3);
    expect([...needed].filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });

  it.each(SERVICES)(
    'lets %s load its whole import graph with plain node: a bad setting exits 78 naming it',
    (service) => {
      const result = spawnSync(process.execPath, [join(dist, 'apps', service, 'src', 'main.js')], {
        cwd: tmpdir(),
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH, DEDUP_DAYS: 'x' },
      });
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 78,
        stderr: expect.stringContaining('config: DEDUP_DAYS: must be a whole number'),
      });
    },
  );

  it('starts every service from dist against the real Kafka and Redis: ready, metrics, SIGTERM exits 0', async () => {
    const topic = randomName('deploy-scans');
    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: testBrokers(),
      REDIS_URL: await uniqueRedisUrl(),
      SCAN_TOPIC: topic,
      SCAN_TOPIC_PARTITIONS: '2',
      LEDGER_GROUP_ID: `${topic}-ledger`,
      ALERTS_TOPIC: randomName('deploy-alerts'),
      SUMMARIES_TOPIC: randomName('deploy-summaries'),
      OUTPUT_TOPIC_PARTITIONS: '2',
      API_GROUP_ID: `${topic}-api`,
      KAFKA_SESSION_TIMEOUT_SECONDS: '6',
    };
    const started = [];
    for (const service of SERVICES) {
      const port = await freePort();
      const output: string[] = [];
      const child = spawn(process.execPath, [`dist/apps/${service}/src/main.js`], {
        cwd: root, // the image's working directory holds deploy/config, as the repository does
        env: { ...common, [PORT_ENV[service]]: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
      child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      started.push({ service, port, child, output, exited });
    }
    try {
      for (const s of started) {
        const state = await waitFor(
          async () => {
            if (s.child.exitCode !== null) return 'exited';
            const ready = await fetch(`http://127.0.0.1:${s.port}/health/ready`);
            return ready.status === 200 && 'ready';
          },
          { what: `${s.service} from dist ready on ${s.port}`, timeoutMs: 90_000, intervalMs: 500 },
        ).catch((error: Error) => `${error.message}`);
        expect({
          service: s.service,
          state,
          output: state === 'ready' ? '' : s.output.join('').slice(-3_000),
        }).toEqual({
          service: s.service,
          state: 'ready',
          output: '',
        });
        const metrics = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
        expect(metrics).toContain('handover_ready');
      }
      const api = started.find((s) => s.service === 'api');
      if (api) {
        const page = await fetch(`http://127.0.0.1:${api.port}/`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html');
      }
    } finally {
      for (const s of started) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    }
    for (const s of started)
      expect({ service: s.service, code: await s.exited }).toEqual({ service: s.service, code: 0 });
  }, 180_000);
});

describe('the Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM /i.test(l));
  const runtime = lines.slice(lines.lastIndexOf(stages[stages.length - 1]));

  it('builds in one stage and runs dist with production dependencies as a non-root user in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lines).toEqual(
      expect.arrayContaining(['RUN npm ci', 'RUN npm run build && npm prune --omit=dev']),
    );
    expect(runtime.filter((l) => /^RUN /.test(l))).toEqual([]); // nothing but copies from the build stage
    for (const l of runtime.filter((l) => /^COPY /.test(l))) expect(l).toMatch(/--from=build /);
    expect(runtime).toEqual(expect.arrayContaining(['USER node', 'ENTRYPOINT ["node"]']));
    const cmd = runtime.find((l) => l.startsWith('CMD '));
    expect(cmd).toBe('CMD ["dist/apps/ledger/src/main.js"]');
    expectBuilt(JSON.parse((cmd as string).slice(4))[0] as string, 'Dockerfile CMD');
  });

  it('builds dist from exactly the files its build stage copies, none of them in .dockerignore', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = lines
      .filter((l) => /^COPY /.test(l) && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(['apps', 'libs', 'deploy/build', 'tsconfig.build.json']));
    const context = mkdtempSync(join(tmpdir(), 'hbm-docker-context-'));
    try {
      for (const source of sources) {
        expect({ source, ignored: ignored.includes(source) }).toEqual({ source, ignored: false });
        cpSync(join(root, source), join(context, source), { recursive: true });
      }
      symlinkSync(join(root, 'node_modules'), join(context, 'node_modules'), 'dir');
      const build = run(process.execPath, ['deploy/build/build.js'], context);
      expect({ status: build.status, stderr: build.stderr }).toEqual({ status: 0, stderr: '' });
      const made = (dir: string) =>
        filesUnder(dir)
          .map((f) => relative(dir, f))
          .sort();
      expect(made(join(context, 'dist'))).toEqual(made(dist));
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('deploy/compose/docker-compose.yml', () => {
  const file = join(root, 'deploy', 'compose', 'docker-compose.yml');
  const compose = obj(parse(readFileSync(file, 'utf8'), { merge: true }));
  const services = obj(compose.services);
  const envOf = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(obj(obj(services[name]).environment)).map(([k, v]) => [k, String(v)]));

  /** The value compose uses when no variable is set: `${HBM_X:-default}` -> `default`. */
  const byDefault = (value: unknown) => String(value).replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

  it('passes `docker compose config` (no daemon needed), as it is and with the local images', () => {
    const [cmd, ...args] = composeCommand();
    for (const envFile of [[], ['--env-file', join(root, 'deploy', 'compose', 'local-images.env')]]) {
      const result = run(cmd, [...args, ...envFile, '-f', file, 'config', '-q'], root, 60_000);
      expect({ envFile, status: result.status, stderr: result.stderr }).toEqual({
        envFile,
        status: 0,
        stderr: '',
      });
    }
  }, 300_000);

  it('takes every image from a variable whose default is the public image, the local ones in local-images.env', () => {
    const variables = localImagesEnv();
    const images = Object.fromEntries(
      Object.entries(services).map(([name, s]) => [name, String(obj(s).image)]),
    );
    expect(Object.values(images).every((image) => /^\$\{HBM_[A-Z_]+:-[^}]+\}$/.test(image))).toBe(true);
    expect(images).toMatchObject({
      kafka: '${HBM_KAFKA_IMAGE:-apache/kafka:4.1.1}',
      redis: '${HBM_REDIS_IMAGE:-redis:7-bookworm}',
      prometheus: '${HBM_PROMETHEUS_IMAGE:-prom/prometheus:v3.5.0}',
      grafana: '${HBM_GRAFANA_IMAGE:-grafana/grafana:12.1.0}',
    });
    const args = obj(obj(services.ledger).build).args as Record<string, string>;
    expect(args).toEqual({
      NODE_BUILD_IMAGE: '${HBM_NODE_BUILD_IMAGE:-node:20-bookworm-slim}',
      NODE_IMAGE: '${HBM_NODE_IMAGE:-node:20-bookworm-slim}',
    });
    // every variable of local-images.env is one the compose file reads, and the Dockerfile's defaults agree
    const text = readFileSync(file, 'utf8');
    for (const variable of Object.keys(variables)) expect(text).toContain(`\${${variable}:-`);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('ARG NODE_BUILD_IMAGE=node:20-bookworm-slim');
    expect(dockerfile).toContain('ARG NODE_IMAGE=node:20-bookworm-slim');
    expect(dockerfile).not.toMatch(/^# syntax=/m); // BuildKit would fetch that frontend from a registry
  });

  it('publishes every port on 127.0.0.1 only, runs read-only with a /tmp tmpfs, keeps Grafana behind a profile', () => {
    for (const [name, service] of Object.entries(services).map(([n, s]) => [n, obj(s)] as const)) {
      for (const port of arr(service.ports).map(byDefault))
        expect({ name, port, loopback: /^127\.0\.0\.1:\d+:\d+$/.test(port) }).toEqual({
          name,
          port,
          loopback: true,
        });
      if (name === 'grafana') continue;
      expect({ name, readOnly: service.read_only, tmpfs: service.tmpfs }).toEqual({
        name,
        readOnly: true,
        tmpfs: ['/tmp'],
      });
    }
    expect(obj(services.grafana).profiles).toEqual(['grafana']);
  });

  it('runs Apache Kafka 4.1.1 in KRaft mode as one node and Redis 7 with its append-only file', () => {
    const kafka = obj(services.kafka);
    expect(byDefault(kafka.image)).toBe('apache/kafka:4.1.1');
    const env = envOf('kafka');
    expect(env).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `${env.KAFKA_NODE_ID}@kafka:9093`,
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    });
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(obj(kafka.healthcheck).test).toBeDefined();
    const redis = obj(services.redis);
    expect(byDefault(redis.image)).toMatch(/^redis:7/);
    expect(arr(redis.command).join(' ')).toContain('--appendonly yes --appendfsync everysec');
    expect(arr(redis.volumes)).toContain('redis-data:/data');
    expect(Object.keys(obj(compose.volumes))).toEqual(expect.arrayContaining(['kafka-data', 'redis-data']));
  });

  it.each(SERVICES)('runs %s from the image with settings its config schema accepts', (service) => {
    const s = obj(services[service]);
    expect(s.image).toBe(obj(services.ledger).image);
    expect(obj(s.build).dockerfile).toBe('Dockerfile');
    const command = arr(s.command).map(String);
    expect(command).toEqual([`dist/apps/${service}/src/main.js`]);
    expectBuilt(command[0], `compose ${service}`);
    const env = envOf(service);
    const known = new Set(envNames(envSchemaOf(service)));
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    expect(envProblems(service, env)).toEqual([]);
    expect(env).toMatchObject({ KAFKA_BROKERS: 'kafka:9092', REDIS_URL: 'redis://redis:6379' });
    const port = portOf(service, env);
    expect(arr(obj(s.healthcheck).test)).toEqual(['CMD', 'node', 'dist/deploy/healthcheck.js', String(port)]);
    expect(obj(s.depends_on)).toEqual({
      kafka: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    const grace = /^(\d+)s$/.exec(String(s.stop_grace_period));
    expect(Number(grace?.[1])).toBeGreaterThanOrEqual(30);
    if (service === 'api') expect(arr(s.ports).map(byDefault)).toEqual(['127.0.0.1:3000:3000']);
  });

  it('scrapes every service with Prometheus and provisions Grafana with files that exist', () => {
    const prometheus = obj(parse(readFileSync(join(root, 'deploy', 'compose', 'prometheus.yml'), 'utf8')));
    const targets = arr(prometheus.scrape_configs).flatMap((c) =>
      arr(obj(c).static_configs).flatMap((sc) => arr(obj(sc).targets)),
    );
    for (const service of SERVICES)
      expect(targets).toContain(`${service}:${portOf(service, envOf(service))}`);
    for (const name of ['prometheus', 'grafana'])
      for (const volume of arr(obj(services[name]).volumes)
        .map(String)
        .filter((v) => v.startsWith('.')))
        expect(existsSync(join(root, 'deploy', 'compose', volume.split(':')[0]))).toBe(true);
  });
});

describe('deploy/k8s', () => {
  const dir = join(root, 'deploy', 'k8s');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const resources = files
    .filter((f) => f !== 'kustomization.yaml')
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors.map((e) => e.message).join('; ')}`);
        return { file: f, ...obj(doc.toJS()) } as Json & { file: string; kind: string };
      }),
    );
  const named = (kind: string, name: string): Json => {
    const found = resources.find((r) => r.kind === kind && obj(r.metadata).name === name);
    if (!found) throw new Error(`no ${kind} ${name} in deploy/k8s`);
    return found;
  };
  const configMap = obj(named('ConfigMap', 'handover-config').data) as Record<string, string>;
  const secret = obj(named('Secret', 'handover-secrets').stringData) as Record<string, string>;
  const matches = (selector: Json, labels: Json) =>
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('parses into known kinds, each named, all listed in kustomization.yaml', () => {
    const kustomization = obj(parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')));
    expect(kustomization.kind).toBe('Kustomization');
    expect([...arr(kustomization.resources)].sort()).toEqual(
      files.filter((f) => f !== 'kustomization.yaml').sort(),
    );
    const kinds = new Set([
      'Namespace',
      'ConfigMap',
      'Secret',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
    ]);
    for (const r of resources) {
      expect({ file: r.file, kind: r.kind, known: kinds.has(r.kind) }).toEqual({
        file: r.file,
        kind: r.kind,
        known: true,
      });
      expect(typeof r.apiVersion).toBe('string');
      expect(typeof obj(r.metadata).name).toBe('string');
    }
    const namespace = obj(named('Namespace', String(kustomization.namespace)).metadata).name;
    expect(namespace).toBe('handover-balance');
    expect(arr(kustomization.images).map((i) => obj(i).name)).toEqual(['handover-balance']);
  });

  it('keeps placeholders only in the Secret and the shipped calendar in the calendar ConfigMap', () => {
    expect(secret.KAFKA_SASL_PASSWORD).toBe('change-me');
    expect(JSON.parse(secret['tokens.json'])).toEqual({ tokens: [] });
    const calendar = obj(named('ConfigMap', 'handover-calendar').data) as Record<string, string>;
    expect(JSON.parse(calendar['facilities.json'])).toEqual(
      JSON.parse(readFileSync(join(root, 'deploy', 'config', 'facilities.json'), 'utf8')),
    );
    const allKnown = new Set(SERVICES.flatMap((s) => envNames(envSchemaOf(s))));
    expect(Object.keys(configMap).filter((name) => !allKnown.has(name))).toEqual([]);
  });

  it.each(SERVICES)(
    'runs %s as a Deployment with probes on its port, resources and its config',
    (service) => {
      const deployment = named('Deployment', service);
      const spec = obj(deployment.spec);
      const template = obj(spec.template);
      const labels = obj(obj(template.metadata).labels);
      expect(matches(obj(obj(spec.selector).matchLabels), labels)).toBe(true);
      const pod = obj(template.spec);
      expect(Number(pod.terminationGracePeriodSeconds)).toBeGreaterThanOrEqual(30);
      expect(obj(pod.securityContext).runAsNonRoot).toBe(true);
      const containers = arr(pod.containers).map(obj);
      expect(containers).toHaveLength(1);
      const c = containers[0];
      expect(String(c.image).split(':')[0]).toBe('handover-balance');
      expect(c.command).toBeUndefined(); // the image's ENTRYPOINT (node) runs the args
      expectBuilt(String(arr(c.args)[0]), `k8s ${service}`);

      // the environment: the ConfigMap, then the container's own values and references
      const secretNames = new Set(
        resources.filter((r) => r.kind === 'Secret').map((r) => obj(r.metadata).name),
      );
      const env: Record<string, string> = {};
      for (const from of arr(c.envFrom).map(obj)) {
        expect(obj(from.configMapRef).name).toBe('handover-config');
        Object.assign(env, configMap);
      }
      expect(Object.keys(env).length).toBeGreaterThan(0);
      const known = new Set(envNames(envSchemaOf(service)));
      for (const e of arr(c.env).map(obj)) {
        const name = String(e.name);
        expect({ name, known: known.has(name) }).toEqual({ name, known: true });
        const ref = obj(obj(e.valueFrom).secretKeyRef);
        if (ref.name) {
          expect(secretNames.has(ref.name)).toBe(true);
          env[name] = secret[String(ref.key)];
          expect(env[name]).toBeDefined();
        } else if (obj(e.valueFrom).fieldRef) env[name] = `${service}-7d4b9c-x2k4q`;
        else env[name] = String(e.value);
      }
      expect(envProblems(service, env)).toEqual([]);

      // probes on the port the service listens on
      const port = portOf(service, env);
      const ports = arr(c.ports).map(obj);
      const portNumber = (p: unknown) => Number(ports.find((x) => x.name === p)?.containerPort ?? p);
      for (const [probe, path] of [
        ['livenessProbe', '/health/live'],
        ['readinessProbe', '/health/ready'],
      ]) {
        const http = obj(obj(c[probe]).httpGet);
        expect({ probe, path: http.path, port: portNumber(http.port) }).toEqual({ probe, path, port });
      }
      const annotations = obj(obj(template.metadata).annotations);
      expect(annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
      });

      const resources_ = obj(c.resources);
      for (const kind of ['requests', 'limits'])
        expect(Object.keys(obj(resources_[kind])).sort()).toEqual(['cpu', 'memory']);

      // files: the calendar (and the API's tokens) are mounted where the settings point
      const volumes = new Map(arr(pod.volumes).map((v) => [obj(v).name, obj(v)]));
      const mountedFile = (setting: string, source: (v: Json) => Json | undefined) => {
        const path = { dir: posix.dirname(String(env[setting])), base: posix.basename(String(env[setting])) };
        const mount = arr(c.volumeMounts)
          .map(obj)
          .find((m) => path.dir === m.mountPath);
        const volume = mount ? volumes.get(mount.name) : undefined;
        const from = volume ? source(volume) : undefined;
        expect({ setting, mounted: Boolean(from) }).toEqual({ setting, mounted: true });
        return { from: from as Json, file: path.base };
      };
      const calendar = mountedFile('FACILITIES_FILE', (v) => (v.configMap ? obj(v.configMap) : undefined));
      expect(obj(named('ConfigMap', String(calendar.from.name)).data)[calendar.file]).toBeDefined();
      if (service === 'api') {
        const tokens = mountedFile('TOKENS_FILE', (v) => (v.secret ? obj(v.secret) : undefined));
        expect(secretNames.has(tokens.from.secretName)).toBe(true);
        expect(arr(tokens.from.items).map((i) => obj(i).path)).toContain(tokens.file);
      }

      // a Service whose selector picks these pods, on the named port
      const svc = resources.find((r) => r.kind === 'Service' && obj(r.metadata).name === service);
      expect(svc).toBeDefined();
      const svcSpec = obj(svc?.spec);
      expect(matches(obj(svcSpec.selector), labels)).toBe(true);
      for (const p of arr(svcSpec.ports).map(obj)) expect(portNumber(p.targetPort)).toBe(port);
    },
  );

  const manifests = (): Manifest[] =>
    resources.map(
      ({ file, ...r }) =>
        ({ ...r, source: `${file} ${r.kind} ${String(obj(r.metadata).name)}` }) as unknown as Manifest,
    );

  it(`passes the Kubernetes ${KUBERNETES_SCHEMA_VERSION} API schemas and strict field validation, every manifest`, () => {
    expect(manifests().length).toBe(resources.length);
    expect(schemaProblems(manifests())).toEqual([]);
    expect(unknownFieldProblems(manifests(), root)).toEqual([]);
  }, 60_000);

  it('would refuse a manifest with a misspelt field, a value of the wrong type or an unknown kind', () => {
    const api = manifests().find(
      (m) => m.kind === 'Deployment' && obj(m.metadata).name === 'api',
    ) as Manifest;
    const withContainer = (change: (c: Json) => void): Manifest => {
      const copy = JSON.parse(JSON.stringify(api)) as Manifest;
      change(obj(arr(obj(obj(obj(copy.spec).template).spec).containers)[0]));
      return copy;
    };
    const misspelt = withContainer((c) => {
      c.readinesProbe = c.readinessProbe;
      delete c.readinessProbe;
    });
    const wrongType = withContainer((c) => (obj(arr(c.ports)[0]).containerPort = 'three thousand'));
    expect(schemaProblems([wrongType])).toEqual([expect.stringContaining('containerPort must be integer')]);
    expect(unknownFieldProblems([misspelt], root)).toEqual([
      expect.stringMatching(
        /^api\.yaml Deployment api: .*readinesProbe.* does not exist in type 'IContainer'/,
      ),
    ]);
    expect(schemaProblems([{ ...api, kind: 'Deploymnet' }])).toEqual([
      expect.stringContaining(`is not a kind of Kubernetes ${KUBERNETES_SCHEMA_VERSION}`),
    ]);
  }, 60_000);

  it('scales the ledger consumer by the partitions of the scan topic, and the others per their designs', () => {
    const partitions = Number(configMap.SCAN_TOPIC_PARTITIONS);
    expect(partitions).toBeGreaterThan(0);
    const replicas = (name: string) => Number(obj(named('Deployment', name).spec).replicas);
    expect(replicas('ledger')).toBeLessThanOrEqual(partitions);
    const hpa = obj(named('HorizontalPodAutoscaler', 'ledger').spec);
    expect(obj(hpa.scaleTargetRef)).toMatchObject({ kind: 'Deployment', name: 'ledger' });
    expect(hpa.maxReplicas).toBe(partitions);
    expect(Number(hpa.minReplicas)).toBeLessThanOrEqual(replicas('ledger'));
    expect(replicas('watch')).toBeGreaterThanOrEqual(2);
    expect(replicas('watch')).toBeLessThanOrEqual(Number(configMap.WATCH_SHARDS));
    expect(replicas('lag-monitor')).toBe(2); // one active (the lease holder), one standby
    const labels = (name: string) =>
      obj(obj(obj(obj(named('Deployment', name).spec).template).metadata).labels);
    for (const name of ['ledger', 'watch', 'lag-monitor']) {
      const pdb = named('PodDisruptionBudget', name);
      expect(matches(obj(obj(obj(pdb.spec).selector).matchLabels), labels(name))).toBe(true);
    }
  });
});
