import { isUtf8 } from 'node:buffer';

import type { ZodIssue } from 'zod';

import { DeadLetterReason } from './dead-letter';
import { ScanEvent, acceptValidScanEvent, instantOfPlainRfc3339 } from './scan-event';
import { isValidS10 } from './s10';

export interface ScanLimits {
  /** Largest accepted message value in bytes (`MAX_EVENT_BYTES`). */
  readonly maxEventBytes: number;
  /** How far `occurredAt` may lie ahead of now (`MAX_CLOCK_SKEW_SECONDS`, in ms). */
  readonly maxClockSkewMs: number;
  /** Events older than this many days are too late to be deduplicated (`DEDUP_DAYS`). */
  readonly dedupDays: number;
}

export type ParsedScan =
  | { readonly ok: true; readonly event: ScanEvent; readonly occurredAtMs: number }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

const DAY_MS = 86_400_000;
const MAX_ISSUES_IN_DETAIL = 3;
const MAX_ISSUE_CHARS = 100;
const MAX_EXCERPT_CHARS = 32;
const UTF8_BOM = 0xfeff;
const REPLACEMENT_CHARACTER = '\ufffd';

/**
 * Turns the value of one Kafka message into a scan event, or into the reason it must be dead-lettered.
 * Checks run in a fixed order (OVERSIZE, INVALID_JSON, SCHEMA, BAD_ITEM_ID, FUTURE_TIMESTAMP, TOO_LATE)
 * so the same bytes always get the same reason. Never throws; the detail quotes at most a short
 * excerpt of one bad field, never the payload.
 */
export function parseScanMessage(value: Buffer | null, limits: ScanLimits, nowMs: number): ParsedScan {
  try {
    return parse(value, limits, nowMs);
  } catch (error) {
    // Defence in depth: a consumer must survive any input, so an unforeseen failure dead-letters the event.
    return reject(
      'SCHEMA',
      `could not be validated (${excerpt(error instanceof Error ? error.name : 'error')})`,
    );
  }
}

function parse(value: Buffer | null, limits: ScanLimits, nowMs: number): ParsedScan {
  if (value === null || value === undefined) return reject('INVALID_JSON', 'message has no value');
  if (value.length > limits.maxEventBytes) {
    return reject('OVERSIZE', `message is ${value.length} bytes, the limit is ${limits.maxEventBytes}`);
  }
  let text = value.toString('utf8');
  // Decoding replaces every invalid sequence with U+FFFD, so only a text holding one can come from bytes
  // that are not UTF-8 (a one-byte string, the usual ASCII scan, is answered without a scan).
  if (text.includes(REPLACEMENT_CHARACTER) && !isUtf8(value)) {
    return reject('INVALID_JSON', 'message is not valid UTF-8');
  }
  if (text.charCodeAt(0) === UTF8_BOM) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return reject('INVALID_JSON', `not JSON: ${excerpt(jsonErrorWithoutSource(error), 80)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return reject(
      'INVALID_JSON',
      `expected a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`,
    );
  }

  let event = acceptValidScanEvent(json as Record<string, unknown>);
  let occurredAtMs: number;
  if (event !== undefined) {
    // the fast validator took only the plain RFC 3339 spelling
    occurredAtMs = instantOfPlainRfc3339(event.occurredAt);
  } else {
    const result = ScanEvent.safeParse(json);
    if (!result.success) return reject('SCHEMA', summariseIssues(result.error.issues));
    event = result.data;
    occurredAtMs = Date.parse(event.occurredAt);
  }

  if (!isValidS10(event.itemId)) {
    return reject(
      'BAD_ITEM_ID',
      `itemId "${excerpt(event.itemId)}" is not a UPU S10 id with a valid check digit`,
    );
  }

  if (occurredAtMs - nowMs > limits.maxClockSkewMs) {
    return reject(
      'FUTURE_TIMESTAMP',
      `occurredAt ${excerpt(event.occurredAt, 40)} is ${Math.round((occurredAtMs - nowMs) / 1000)} s ahead of now (max skew ${Math.round(limits.maxClockSkewMs / 1000)} s)`,
    );
  }
  if (nowMs - occurredAtMs > limits.dedupDays * DAY_MS) {
    return reject(
      'TOO_LATE',
      `occurredAt ${excerpt(event.occurredAt, 40)} is more than ${limits.dedupDays} days before now`,
    );
  }
  return { ok: true, event, occurredAtMs };
}

function reject(reason: DeadLetterReason, detail: string): ParsedScan {
  return { ok: false, reason, detail };
}

/** V8 quotes the source text in some messages (`Unexpected token 'x', "{...}" is not valid JSON`): drop it. */
function jsonErrorWithoutSource(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = message.indexOf(', "');
  return quoted > 0 && message.endsWith('" is not valid JSON') ? message.slice(0, quoted) : message;
}

/** One short human line, e.g. `occurredAt: Invalid datetime; to: must differ from "from" (+1 more)`. */
function summariseIssues(issues: readonly ZodIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_DETAIL).map((issue) => {
    const path = issue.path.length === 0 ? '(event)' : issue.path.join('.');
    return `${excerpt(path, 40)}: ${excerpt(issue.message, MAX_ISSUE_CHARS)}`;
  });
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (+${more} more)` : '');
}

/** A printable, bounded excerpt: control characters replaced, long text cut with an ellipsis. */
function excerpt(text: string, maxChars: number = MAX_EXCERPT_CHARS): string {
  const long = text.length > maxChars;
  let cut = long ? text.slice(0, maxChars) : text;
  if (long && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  // eslint-disable-next-line no-control-regex
  const printable = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return long ? `${printable}...` : printable;
}
