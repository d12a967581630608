// `npm run build`: compiles apps/ and libs/ into dist/ so that every service runs with plain
// `node dist/apps/<name>/src/main.js`, without ts-node or tsconfig-paths (which are devDependencies):
//   1. tsc -p tsconfig.build.json (apps and libs, no tests or specs; fails on any type error)
//   2. rewrites each `require("@app/<lib>")` the compiler emitted into a relative path inside dist/,
//      from the `paths` of tsconfig.json, and fails if any alias is left
//   3. copies the files the code reads at run time next to the output: every non-TypeScript file under
//      apps/*/src and libs/*/src (the Lua scripts, the dashboard), deploy/config/*.json (the default
//      facility calendar and tokens file), and the container health check (dist/deploy/healthcheck.js)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist');

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

/** Every file below `dir` (absolute paths), or none when it does not exist. */
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

function compile() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0)
    fail(`tsc failed (exit ${result.status ?? result.signal}); nothing usable in dist/`);
}

/** The aliases of tsconfig.json: `@app/contracts` -> `libs/contracts/src` (a trailing `/*` maps a sub-path). */
function aliases() {
  const ts = require(require.resolve('typescript', { paths: [root] }));
  const { config, error } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  if (error) fail(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const paths = config.compilerOptions.paths ?? {};
  return Object.entries(paths).map(([pattern, targets]) => ({
    pattern,
    wildcard: pattern.endsWith('/*'),
    prefix: pattern.replace(/\/\*$/, ''),
    target: targets[0].replace(/\/\*$/, ''),
  }));
}

/** The path inside dist/ that `specifier` (an alias) stands for, or undefined when it is no alias. */
function resolveAlias(specifier, table) {
  for (const alias of table) {
    if (!alias.wildcard && specifier === alias.prefix) return alias.target;
    if (alias.wildcard && specifier.startsWith(`${alias.prefix}/`))
      return `${alias.target}/${specifier.slice(alias.prefix.length + 1)}`;
  }
  return undefined;
}

function rewriteAliases() {
  const table = aliases();
  const prefixes = [...new Set(table.map((a) => a.prefix.split('/')[0]))];
  const requireOf = /require\((["'])([^"']+)\1\)/g;
  let rewritten = 0;
  const left = [];
  for (const file of filesUnder(dist).filter((f) => f.endsWith('.js'))) {
    const text = fs.readFileSync(file, 'utf8');
    const out = text.replace(requireOf, (whole, quote, specifier) => {
      const target = resolveAlias(specifier, table);
      if (target === undefined) {
        if (prefixes.some((p) => specifier === p || specifier.startsWith(`${p}/`)))
          left.push(`${path.relative(root, file)}: ${specifier}`);
        return whole;
      }
      let relative = path.relative(path.dirname(file), path.join(dist, target)).split(path.sep).join('/');
      if (!relative.startsWith('.')) relative = `./${relative}`;
      rewritten++;
      return `require(${quote}${relative}${quote})`;
    });
    if (out !== text) fs.writeFileSync(file, out);
  }
  if (left.length > 0) fail(`imports of unknown aliases:\n  ${left.join('\n  ')}`);
  return rewritten;
}

function copyAssets() {
  let copied = 0;
  for (const top of ['apps', 'libs']) {
    const base = path.join(root, top);
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base)) {
      for (const file of filesUnder(path.join(base, name, 'src'))) {
        if (file.endsWith('.ts')) continue;
        copy(file, path.join(dist, path.relative(root, file)));
        copied++;
      }
    }
  }
  const configDir = path.join(root, 'deploy', 'config');
  for (const file of filesUnder(configDir).filter((f) => f.endsWith('.json'))) {
    copy(file, path.join(dist, 'deploy', 'config', path.relative(configDir, file)));
    copied++;
  }
  copy(path.join(__dirname, 'healthcheck.js'), path.join(dist, 'deploy', 'healthcheck.js'));
  return copied + 1;
}

const started = Date.now();
fs.rmSync(dist, { recursive: true, force: true });
compile();
const rewritten = rewriteAliases();
const copied = copyAssets();
const entries = fs.existsSync(path.join(dist, 'apps'))
  ? fs
      .readdirSync(path.join(dist, 'apps'))
      .filter((app) => fs.existsSync(path.join(dist, 'apps', app, 'src', 'main.js')))
  : [];
process.stdout.write(
  `build: dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s: ${rewritten} alias imports made relative, ` +
    `${copied} files copied; services: ${entries.map((app) => `dist/apps/${app}/src/main.js`).join(', ')}\n`,
);
