import { z } from 'zod';

import { FacilityId } from '@app/contracts';

/*
 * The facility calendar file named by FACILITIES_FILE (SPEC section 1): default time zone and shifts,
 * and the facilities that differ from them.
 */

const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM (00:00 to 23:59)');

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const TimeZone = z
  .string()
  .refine(isTimeZone, (name) => ({ message: `unknown IANA time zone "${String(name).slice(0, 64)}"` }));

/** One shift of a facility's working day, in local wall-clock time. An end at or before the start is on the next day. */
export const ShiftDefinition = z
  .object({
    code: z.string().regex(/^[A-Z0-9]{1,8}$/, 'must be 1-8 capital letters or digits'),
    start: LocalTime,
    end: LocalTime,
  })
  .strict();
export type ShiftDefinition = z.infer<typeof ShiftDefinition>;

const ShiftDefinitions = z
  .array(ShiftDefinition)
  .min(1, 'needs at least one shift')
  .superRefine((shifts, ctx) => {
    const codes = new Map<string, number>();
    const starts = new Map<string, number>();
    shifts.forEach((shift, index) => {
      const sameCode = codes.get(shift.code);
      if (sameCode !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [index, 'code'],
          message: `repeats the code of shifts[${sameCode}]`,
        });
      } else codes.set(shift.code, index);
      const sameStart = starts.get(shift.start);
      if (sameStart !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [index, 'start'],
          message: `starts at ${shift.start} like shifts[${sameStart}]`,
        });
      } else starts.set(shift.start, index);
    });
  });

export const FacilityKind = z.enum(['PROCESSING_CENTRE', 'DELIVERY_STATION']);
export type FacilityKind = z.infer<typeof FacilityKind>;

export const FacilityEntry = z
  .object({
    id: FacilityId,
    name: z.string().min(1).max(200),
    kind: FacilityKind,
    timezone: TimeZone.optional(),
    shifts: ShiftDefinitions.optional(),
  })
  .strict();
export type FacilityEntry = z.infer<typeof FacilityEntry>;

export const FacilityCalendarFile = z
  .object({
    defaults: z.object({ timezone: TimeZone, shifts: ShiftDefinitions }).strict(),
    facilities: z.array(FacilityEntry).default([]),
  })
  .strict()
  .superRefine((file, ctx) => {
    for (const issue of repeatedFacilityIds(file.facilities))
      ctx.addIssue({ code: z.ZodIssueCode.custom, ...issue });
  });
export type FacilityCalendarFile = z.infer<typeof FacilityCalendarFile>;

export type ParsedFacilityCalendarFile =
  | { readonly ok: true; readonly file: FacilityCalendarFile }
  | { readonly ok: false; readonly problems: string[] };

/**
 * Validates a parsed calendar file. Each problem is one line that names the facility (by id) and the
 * shift (by code) it is about, e.g. `facilities[1] (ZJ-HZ-DS07) shifts[0] (AM) start: must be a local time HH:MM`.
 */
export function parseFacilityCalendarFile(raw: unknown): ParsedFacilityCalendarFile {
  const result = FacilityCalendarFile.safeParse(raw);
  if (result.success) return { ok: true, file: result.data };
  const issues: Array<Pick<z.ZodIssue, 'path' | 'message'>> = [...result.error.issues];
  // zod skips the file-level check while a facility is invalid; report repeated ids in the same pass anyway.
  if (isRecord(raw) && Array.isArray(raw.facilities)) {
    issues.push(
      ...repeatedFacilityIds(raw.facilities.map((facility: unknown) => (isRecord(facility) ? facility : {}))),
    );
  }
  return { ok: false, problems: [...new Set(issues.map((issue) => describeIssue(raw, issue)))] };
}

function repeatedFacilityIds(
  facilities: ReadonlyArray<{ id?: unknown }>,
): Array<{ path: (string | number)[]; message: string }> {
  const firstIndex = new Map<unknown, number>();
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  facilities.forEach((facility, index) => {
    if (typeof facility.id !== 'string') return;
    const first = firstIndex.get(facility.id);
    if (first === undefined) firstIndex.set(facility.id, index);
    else
      issues.push({ path: ['facilities', index, 'id'], message: `repeats the id of facilities[${first}]` });
  });
  return issues;
}

function describeIssue(raw: unknown, issue: Pick<z.ZodIssue, 'path' | 'message'>): string {
  const parts: string[] = [];
  let node: unknown = raw;
  for (let i = 0; i < issue.path.length; i++) {
    const key = issue.path[i];
    const parent = node;
    node =
      isRecord(parent) || Array.isArray(parent)
        ? (parent as Record<string | number, unknown>)[key]
        : undefined;
    if (typeof key === 'number') {
      const label = isRecord(node) ? (typeof node.id === 'string' ? node.id : node.code) : undefined;
      const name = `${parts.pop() ?? ''}[${key}]`;
      parts.push(typeof label === 'string' ? `${name} (${label.slice(0, 40)})` : name);
    } else {
      parts.push(String(key));
    }
  }
  const where = parts.length === 0 ? 'file' : parts.join(' ');
  return `${where}: ${issue.message}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
