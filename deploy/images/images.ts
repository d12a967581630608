/**
 * The local base and infrastructure images, built from Debian packages where no image registry is
 * reachable (`npm run images`): a minimal Debian root filesystem made with debootstrap and imported
 * into Docker, then on top of it the Node runtime (and a build image with npm), Kafka (a JRE and the
 * project's Kafka jars from Maven Central), Redis and Prometheus, each from deploy/images/<name>/.
 *
 * Each image carries a label with the hash of its inputs (its build context, its base image's id, the
 * recipe of the root filesystem); a tag whose label matches is not built again, so a second run takes
 * seconds. deploy/compose/local-images.env points the compose file at these tags.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { commandWorks, ensureDebianPackages } from '../local/debian-packages';
import { ensureKafkaInstalled, KAFKA_VERSION } from '../local/local-kafka';
import { debianMirror } from './debian-mirror';
import { docker, DOCKER_ENV, dockerOut } from './docker';

export const INPUTS_LABEL = 'org.handover-balance.inputs';
const IMAGES_DIR = __dirname;
const BUILD_TIMEOUT_MS = 20 * 60_000;

/** The root filesystem: Debian 13, whose nodejs is 20 (Debian 12's is 18). */
const ROOTFS = {
  suite: 'trixie',
  variant: 'minbase',
  include: ['ca-certificates'],
  // what is removed before the import: apt's downloaded lists and packages (every image runs apt-get update)
  prune: ['var/lib/apt/lists', 'var/cache/apt', 'var/log'],
};

/** The tags, and the compose variable (deploy/compose/local-images.env) each one is set in. */
export const LOCAL_IMAGES = {
  base: { tag: 'hbm-local/debian:trixie', variable: undefined },
  node: { tag: 'hbm-local/node:20', variable: 'HBM_NODE_IMAGE' },
  'node-build': { tag: 'hbm-local/node-build:20', variable: 'HBM_NODE_BUILD_IMAGE' },
  kafka: { tag: `hbm-local/kafka:${KAFKA_VERSION}`, variable: 'HBM_KAFKA_IMAGE' },
  redis: { tag: 'hbm-local/redis:8', variable: 'HBM_REDIS_IMAGE' },
  prometheus: { tag: 'hbm-local/prometheus:2', variable: 'HBM_PROMETHEUS_IMAGE' },
} as const;
export type LocalImage = keyof typeof LOCAL_IMAGES;

export interface ImageResult {
  image: LocalImage;
  tag: string;
  action: 'built' | 'cached';
  seconds: number;
  bytes: number;
}

type Log = (line: string) => void;

function sha256(parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

/** The hash of a build context: every file's path, mode and content. */
function contextHash(dir: string): string {
  return sha256(
    filesUnder(dir).flatMap((file) => [
      path.relative(dir, file),
      (fs.statSync(file).mode & 0o777).toString(8),
      fs.readFileSync(file),
    ]),
  );
}

/** The inputs label of a local image, or undefined when the tag does not exist. */
function labelOf(tag: string): string | undefined {
  const result = docker([
    'image',
    'inspect',
    tag,
    '--format',
    `{{ index .Config.Labels "${INPUTS_LABEL}" }}`,
  ]);
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const imageId = (tag: string) => dockerOut(['image', 'inspect', tag, '--format', '{{.Id}}']);
const imageBytes = (tag: string) => Number(dockerOut(['image', 'inspect', tag, '--format', '{{.Size}}']));

/** Runs a long command, its output into `log` line by line; rejects with the tail of it. */
function runLogged(command: string, args: string[], log: Log, prefix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...DOCKER_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        log(`${prefix} ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => reject(error));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command} ${args.slice(0, 3).join(' ')} ... ended with ${signal ?? `exit ${code}`}:\n${tail.join('\n')}`,
          ),
        );
    });
  });
}

/** Skips when the tag's label equals `inputs`; otherwise builds it and drops the image it replaced. */
async function cached(
  image: LocalImage,
  inputs: string,
  log: Log,
  build: (tag: string) => Promise<void>,
): Promise<ImageResult> {
  const tag = LOCAL_IMAGES[image].tag;
  const started = Date.now();
  const current = labelOf(tag);
  if (current === inputs) {
    return { image, tag, action: 'cached', seconds: (Date.now() - started) / 1000, bytes: imageBytes(tag) };
  }
  const previous = current === undefined ? undefined : imageId(tag);
  log(`${image}: building ${tag}${current === undefined ? '' : ' (its inputs changed)'}`);
  await build(tag);
  if (labelOf(tag) !== inputs)
    throw new Error(`${tag} was built but does not carry the label ${INPUTS_LABEL}=${inputs}`);
  // the replaced image is dropped when nothing uses it any more; an image still in use stays
  if (previous && previous !== imageId(tag)) docker(['image', 'rm', previous]);
  const seconds = (Date.now() - started) / 1000;
  log(`${image}: ${tag} built in ${seconds.toFixed(1)} s`);
  return { image, tag, action: 'built', seconds, bytes: imageBytes(tag) };
}

async function buildRootfs(log: Log): Promise<ImageResult> {
  const inputs = sha256([JSON.stringify(ROOTFS)]);
  return cached('base', inputs, log, async (tag) => {
    if (typeof process.getuid === 'function' && process.getuid() !== 0)
      throw new Error('debootstrap needs root: run npm run images as root');
    ensureDebianPackages(
      [{ name: 'debootstrap', present: () => commandWorks('debootstrap', ['--version']) }],
      'bootstrapping the base image',
    );
    const mirror = debianMirror();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbm-rootfs-'));
    try {
      const target = path.join(dir, 'rootfs');
      log(`base: debootstrap ${ROOTFS.variant} ${ROOTFS.suite} from the machine's Debian mirror`);
      // prettier-ignore
      await runLogged('debootstrap', [
        `--variant=${ROOTFS.variant}`, `--include=${ROOTFS.include.join(',')}`, ROOTFS.suite, target, mirror,
      ], () => undefined, 'debootstrap');
      for (const sub of ROOTFS.prune) {
        const full = path.join(target, sub);
        for (const entry of fs.existsSync(full) ? fs.readdirSync(full) : [])
          fs.rmSync(path.join(full, entry), { recursive: true, force: true });
      }
      fs.mkdirSync(path.join(target, 'var/lib/apt/lists/partial'), { recursive: true });
      fs.mkdirSync(path.join(target, 'var/cache/apt/archives/partial'), { recursive: true });
      const tarball = path.join(dir, 'rootfs.tar');
      await runLogged('tar', ['-C', target, '--numeric-owner', '-cf', tarball, '.'], log, 'tar');
      await runLogged(
        'docker',
        [
          'import',
          '--change',
          `LABEL ${INPUTS_LABEL}=${inputs}`,
          '--change',
          'CMD ["/bin/bash"]',
          tarball,
          tag,
        ],
        () => undefined,
        'import',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** `docker build` of deploy/images/<image> on `base`; `extra` adds files (and their hash) to the context. */
async function buildOn(
  image: Exclude<LocalImage, 'base'>,
  base: LocalImage,
  log: Log,
  extra?: { dir: string; into: string; hash: string },
): Promise<ImageResult> {
  const source = path.join(IMAGES_DIR, image);
  const baseTag = LOCAL_IMAGES[base].tag;
  const inputs = sha256([image, imageId(baseTag), contextHash(source), extra?.hash ?? '']);
  return cached(image, inputs, log, async (tag) => {
    let context = source;
    let temporary: string | undefined;
    if (extra) {
      temporary = fs.mkdtempSync(path.join(os.tmpdir(), `hbm-image-${image}-`));
      fs.cpSync(source, temporary, { recursive: true });
      fs.cpSync(extra.dir, path.join(temporary, extra.into), { recursive: true });
      context = temporary;
    }
    try {
      // prettier-ignore
      await runLogged('docker', [
        'build', '--pull=false', '--build-arg', `BASE=${baseTag}`, '--label', `${INPUTS_LABEL}=${inputs}`,
        '-t', tag, context,
      ], log, `${image}:`);
    } finally {
      if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
    }
  });
}

/**
 * The CA certificates this machine added to its trust store (every `*.crt` under HBM_EXTRA_CA_CERTS,
 * a file or directory, default /usr/local/share/ca-certificates), copied into a fresh directory.
 */
function extraCaCertificates(into: string): string {
  const source = process.env.HBM_EXTRA_CA_CERTS || '/usr/local/share/ca-certificates';
  fs.mkdirSync(into, { recursive: true });
  const files = !fs.existsSync(source)
    ? []
    : fs.statSync(source).isDirectory()
      ? filesUnder(source).filter((f) => f.endsWith('.crt'))
      : [source];
  for (const file of files)
    fs.copyFileSync(file, path.join(into, path.basename(file).replace(/(\.crt)?$/, '.crt')));
  return into;
}

/** Builds (or finds up to date) every local image; a failure of one rejects after the others end. */
export async function buildLocalImages(log: Log = () => undefined): Promise<ImageResult[]> {
  const results: ImageResult[] = [await buildRootfs(log)];
  const kafkaLibs = await ensureKafkaInstalled();
  const marker = fs.readFileSync(path.join(kafkaLibs, '.installed.json'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbm-images-'));
  const certs = extraCaCertificates(path.join(work, 'extra-ca-certificates'));
  const certsHash = contextHash(certs);
  const settled = await Promise.allSettled([
    buildOn('node', 'base', log).then(async (node) => [
      node,
      await buildOn('node-build', 'node', log, {
        dir: certs,
        into: 'extra-ca-certificates',
        hash: certsHash,
      }),
    ]),
    buildOn('kafka', 'base', log, { dir: kafkaLibs, into: 'libs', hash: sha256([marker]) }).then((r) => [r]),
    buildOn('redis', 'base', log).then((r) => [r]),
    buildOn('prometheus', 'base', log).then((r) => [r]),
  ]);
  fs.rmSync(work, { recursive: true, force: true });
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
  if (failed.length > 0) throw new Error(failed.join('\n\n'));
  for (const s of settled) if (s.status === 'fulfilled') results.push(...s.value);
  return results;
}

/** `HBM_NODE_IMAGE=hbm-local/node:20` ... : the contents of deploy/compose/local-images.env. */
export function localImagesEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.values(LOCAL_IMAGES).flatMap((i) => (i.variable ? [[i.variable, i.tag]] : [])),
  );
}

export const BUILD_STAGE_LABEL = 'org.handover-balance.stage=build';

/**
 * The classic builder keeps the build stage of the root Dockerfile as untagged images (its cache for
 * the next build); every build with changed sources adds a chain of them. Keeps the newest chain and
 * removes the older ones; returns how many were removed.
 */
export function removeOldBuildStages(): number {
  const listed = dockerOut([
    'images',
    '--filter',
    'dangling=true',
    '--filter',
    `label=${BUILD_STAGE_LABEL}`,
    '--format',
    '{{.ID}} {{.CreatedAt}}',
  ]);
  const stages = listed
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // "<id> 2026-12-04 04:11:30 +0000 UTC"
      const [id, day, time, zone] = line.split(' ');
      return { id, created: Date.parse(`${day}T${time}${zone.slice(0, 3)}:${zone.slice(3)}`) };
    })
    .sort((a, b) => b.created - a.created);
  let removed = 0;
  for (const stage of stages.slice(1)) if (docker(['image', 'rm', stage.id]).status === 0) removed++;
  return removed;
}
