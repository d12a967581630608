/**
 * The deploy scripts' command lines: node:util parseArgs with strict: true (an unknown flag, a missing
 * value or a stray argument is an error), -h/--help for the usage, and every mistake one line that
 * names the flag, as the simulator does (deploy/simulate/simulate.config.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A mistake on the command line; its message names the flag or argument, and is kept to one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

/** `-h` or `--help` was given. */
export class HelpRequested extends Error {}

/** The exit code of a command-line mistake (sysexits.h). */
export const EX_USAGE = 64;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses `args` strictly against `options` (plus -h/--help), positionals only with `allowPositionals`.
 * Throws HelpRequested when help was asked for, and UsageError, on one line, for anything parseArgs
 * refuses.
 */
export function parseCommandLine<const O extends Options>(
  args: readonly string[],
  options: O,
  { allowPositionals = false }: { allowPositionals?: boolean } = {},
) {
  const withHelp: O & typeof HELP = { ...options, ...HELP };
  const parse = () => parseArgs({ args: [...args], options: withHelp, strict: true, allowPositionals });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError(withoutDashAdvice((error as Error).message));
  }
  if ((parsed.values as { help?: boolean }).help === true) throw new HelpRequested();
  return { values: parsed.values, positionals: parsed.positionals as string[] };
}

/**
 * `--name`'s number, or `fallback` when it is not given: a finite number of at least `min` (and whole,
 * with `integer`), else a UsageError.
 */
export function numberOption(
  value: string | undefined,
  name: string,
  fallback: number,
  { min = 0, integer = false }: { min?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `--${name}: must be ${integer ? 'a whole number' : 'a number'} >= ${min} (got ${JSON.stringify(value)})`,
    );
  return n;
}

/**
 * Runs `parse` (a parseCommandLine and what the script makes of it). On HelpRequested prints `usage`
 * and exits 0; on UsageError prints `name: message` and exits 64 (EX_USAGE, as the simulator does).
 */
export function parseOrExit<T>(cli: { name: string; usage: string }, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(cli.usage);
      process.exit(0);
    }
    if (error instanceof UsageError) {
      console.error(`${cli.name}: ${error.message.replace(/\.$/, '')}; see --help`);
      process.exit(EX_USAGE);
    }
    throw error;
  }
}

/** parseArgs's message without its advice on positionals that start with a dash. */
const withoutDashAdvice = (message: string) =>
  message.replace(/\. To specify a positional argument .*$/s, '');
