/**
 * The Debian package mirror the base images are bootstrapped from: `HBM_DEBIAN_MIRROR` when set, else
 * the one this machine's apt already uses (its sources lists), so no mirror is named in the repository.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** The `deb` entries of a one-line `.list` file (`deb [options] URI SUITE COMPONENT...`). */
export function parseOneLineSources(text: string): AptSource[] {
  return text.split('\n').flatMap((raw) => {
    const line = raw
      .replace(/#.*$/, '')
      .replace(/\[[^\]]*\]/, ' ')
      .trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    return type === 'deb' && uri && suite ? [{ uri, suites: [suite], components }] : [];
  });
}

/** The `Types: deb` stanzas of a deb822 `.sources` file. */
export function parseDeb822Sources(text: string): AptSource[] {
  return text
    .split(/\n\s*\n/)
    .map((stanza) => {
      const fields = new Map<string, string>();
      let last = '';
      for (const line of stanza.split('\n')) {
        if (line.startsWith('#')) continue;
        const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (field) fields.set((last = field[1].toLowerCase()), field[2].trim());
        else if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      }
      return fields;
    })
    .filter((f) => (f.get('types') ?? '').split(/\s+/).includes('deb') && f.get('enabled') !== 'no')
    .flatMap((f) => {
      const words = (name: string) => (f.get(name) ?? '').split(/\s+/).filter(Boolean);
      return words('uris').map((uri) => ({ uri, suites: words('suites'), components: words('components') }));
    });
}

/**
 * The archive among `sources` that serves Debian's main packages: a suite without a `-security`,
 * `-updates` or `-backports` tail and the component `main`, preferring a URI ending in /debian.
 */
export function pickDebianMirror(sources: AptSource[]): string | undefined {
  const archives = sources.filter(
    (s) => s.components.includes('main') && s.suites.some((suite) => !/[-/]/.test(suite)),
  );
  const best = archives.find((s) => /\/debian\/?$/.test(s.uri)) ?? archives[0];
  return best?.uri.replace(/\/$/, '');
}

/** Every source of this machine's apt configuration. */
export function machineAptSources(aptDir = '/etc/apt'): AptSource[] {
  const files: string[] = [];
  if (fs.existsSync(path.join(aptDir, 'sources.list'))) files.push(path.join(aptDir, 'sources.list'));
  const dir = path.join(aptDir, 'sources.list.d');
  if (fs.existsSync(dir))
    files.push(
      ...fs
        .readdirSync(dir)
        .sort()
        .map((name) => path.join(dir, name)),
    );
  return files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) return parseDeb822Sources(text);
    if (file.endsWith('.list')) return parseOneLineSources(text);
    return [];
  });
}

/** The mirror to bootstrap from; throws saying how to set one when none is found. */
export function debianMirror(): string {
  const chosen = process.env.HBM_DEBIAN_MIRROR || pickDebianMirror(machineAptSources());
  if (!chosen)
    throw new Error(
      'no Debian mirror found in /etc/apt/sources.list*: set HBM_DEBIAN_MIRROR to one (e.g. http://<mirror>/debian)',
    );
  return chosen;
}
