import { z } from 'zod';

import { MASK, redactCredentials } from './redact';

/**
 * A setting that cannot be used: the process must not start. `problems` holds one line per bad
 * setting, with any password in it masked, whoever wrote the line.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    const redacted = problems.map(redactCredentials);
    super(`invalid configuration:\n${redacted.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = redacted;
  }
}

/** Parses `env` with `schema`, naming every bad variable in one line each. */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
    const value = issue.path.length > 0 ? env[name] : undefined;
    const shown = value === undefined ? 'unset' : `"${isSecret(name) ? MASK : redactCredentials(value)}"`;
    return `${name}: ${issue.message} (got ${shown})`;
  });
  throw new ConfigError(problems);
}

function isSecret(name: string): boolean {
  return /PASSWORD|SECRET|TOKEN/.test(name);
}

const trimmed = z.string().trim();

/** Reusable pieces of the environment schemas. */
export const env = {
  string: (fallback: string) => trimmed.min(1).default(fallback),
  optionalString: () => trimmed.optional().transform((v) => (v === '' ? undefined : v)),
  int: (fallback: number, min: number, max: number) =>
    trimmed
      .default(String(fallback))
      .pipe(
        z.coerce
          .number({ invalid_type_error: 'must be a whole number' })
          .int('must be a whole number')
          .min(min)
          .max(max),
      ),
  bool: (fallback: boolean) =>
    trimmed
      .default(String(fallback))
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' }))
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: () =>
    trimmed.optional().transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    ),
};
