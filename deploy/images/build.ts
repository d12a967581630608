/**
 * `npm run images`: builds the local base and infrastructure images from Debian packages (see
 * images.ts), starting a Docker daemon first when none runs and this is root. Prints one line per
 * image (built or cached, time, size) and how to run the compose file on them. Exit 0 ok, 1 error.
 */
import * as path from 'path';

import { parseCommandLine, parseOrExit } from '../local/cli-args';
import { dockerProblem } from './docker';
import { buildLocalImages } from './images';

const USAGE = `npm run images -- [--verbose]

Builds the local base and infrastructure images from Debian packages, starting a Docker daemon first
when none runs and this is root. Prints one line per image (built or cached, time, size).

  --verbose    print every line of the builds (default: the build steps' chatter is left out)
  -h, --help`;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const verbose = parseOrExit(
    { name: 'images', usage: USAGE },
    () => parseCommandLine(process.argv.slice(2), { verbose: { type: 'boolean' } }).values.verbose === true,
  );
  const problem = dockerProblem();
  if (problem) throw new Error(`no Docker daemon: ${problem}`);
  const started = Date.now();
  const results = await buildLocalImages((line) => {
    if (
      verbose ||
      !/^\S+:? (Step|\s|--->|Removing|Successfully|Get:|Selecting|Preparing|Unpacking|Setting up|Processing)/.test(
        line,
      )
    )
      console.log(line);
  });
  for (const r of results)
    console.log(
      `${r.action.padEnd(6)} ${r.tag.padEnd(28)} ${`${r.seconds.toFixed(1)} s`.padStart(8)} ${mb(r.bytes).padStart(8)}`,
    );
  console.log(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const env = path.relative(process.cwd(), path.join(__dirname, '..', 'compose', 'local-images.env'));
  console.log(
    `run the stack on them: docker-compose --env-file ${env} -f deploy/compose/docker-compose.yml up -d --build`,
  );
}

main().catch((error: Error) => {
  console.error(`images: ${error.message}`);
  process.exit(1);
});
