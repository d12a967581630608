import { readFileSync } from 'node:fs';

import { z } from 'zod';

import { FacilityId } from '@app/contracts';

export const Role = z.enum(['supervisor', 'manager', 'sre', 'admin']);
export type Role = z.infer<typeof Role>;

/** A facility scope: facility ids, or every facility. */
export const Scope = z
  .array(FacilityId)
  .min(1)
  .or(z.tuple([z.literal('*')]));
export type Scope = z.infer<typeof Scope>;

const TokenEntry = z
  .object({
    name: z.string().min(1).max(128),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be the lowercase hex SHA-256 of the token (64 characters)'),
    role: Role,
    facilities: Scope,
  })
  .strict();

/** TOKENS_FILE (SPEC.md section 7): the API's bearer tokens, kept as SHA-256 digests only. */
export const TokensFile = z
  .object({ tokens: z.array(TokenEntry) })
  .strict()
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    const digests = new Set<string>();
    file.tokens.forEach((token, i) => {
      if (names.has(token.name))
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'name'],
          message: `"${token.name}" is used twice`,
        });
      if (digests.has(token.sha256))
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'sha256'],
          message: 'the same token is listed twice',
        });
      names.add(token.name);
      digests.add(token.sha256);
    });
  });
export type ApiToken = z.infer<typeof TokenEntry>;

export type TokensFileResult = { ok: true; tokens: ApiToken[] } | { ok: false; problems: string[] };

/** Parses a tokens file: its entries, or one line per problem (never a digest). */
export function parseTokensFile(raw: unknown): TokensFileResult {
  const parsed = TokensFile.safeParse(raw);
  if (parsed.success) return { ok: true, tokens: parsed.data.tokens };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`),
  };
}

export function readTokensFile(path: string): TokensFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [`${path} cannot be read (${(error as NodeJS.ErrnoException).code})`] };
  }
  try {
    const result = parseTokensFile(JSON.parse(text));
    return result.ok ? result : { ok: false, problems: result.problems.map((p) => `${path}: ${p}`) };
  } catch (error) {
    return { ok: false, problems: [`${path} is not valid JSON (${(error as Error).message})`] };
  }
}
