import { z } from 'zod';

import type { Deadlines, MailClass } from '@app/contracts';

import { env } from './env';

/** The ledger rules' settings (SPEC sections 2, 3, 5 and 10), shared by every service that applies them. */
export const RuleSettings = z.object({
  SCAN_TOPIC: env.string('postal.scan-events'),
  FACILITIES_FILE: env.string('deploy/config/facilities.json'),
  STRICT_FACILITIES: env.bool(false),
  MAX_CLOCK_SKEW_SECONDS: env.int(300, 0, 86_400),
  MAX_EVENT_BYTES: env.int(65_536, 256, 10_000_000),
  DEDUP_DAYS: env.int(7, 1, 90),
  ORPHAN_WAIT_MINUTES: env.int(30, 0, 1_440),
  SHIFT_GRACE_MINUTES: env.int(30, 0, 1_440),
  SUMMARY_COALESCE_SECONDS: env.int(10, 0, 3_600),
  // rule 5; 0 means no deadline
  RECEIPT_DEADLINE_EXPRESS_MINUTES: env.int(60, 0, 10_080),
  RECEIPT_DEADLINE_PARCEL_MINUTES: env.int(240, 0, 10_080),
  RECEIPT_DEADLINE_LETTER_MINUTES: env.int(0, 0, 10_080),
  FEEDBACK_DEADLINE_EXPRESS_MINUTES: env.int(240, 0, 10_080),
  FEEDBACK_DEADLINE_PARCEL_MINUTES: env.int(0, 0, 10_080),
  FEEDBACK_DEADLINE_LETTER_MINUTES: env.int(0, 0, 10_080),
});
export type RuleSettings = z.infer<typeof RuleSettings>;

/** The rules in the units the code uses. */
export interface Rules {
  scanTopic: string;
  facilitiesFile: string;
  strictFacilities: boolean;
  limits: { maxEventBytes: number; maxClockSkewMs: number; dedupDays: number };
  orphanWaitMs: number;
  graceMs: number;
  summaryCoalesceMs: number;
  /** minutes by mail class; a class without a deadline is absent */
  deadlines: Deadlines;
  /** how long hand-off histories and shift ledgers are kept: one day beyond the dedup window */
  retentionMs: number;
}

const DAY_MS = 86_400_000;

export function rulesOf(e: RuleSettings): Rules {
  const minutes = (values: Record<MailClass, number>) =>
    Object.fromEntries(Object.entries(values).filter(([, m]) => m > 0)) as Deadlines['receipt'];
  return {
    scanTopic: e.SCAN_TOPIC,
    facilitiesFile: e.FACILITIES_FILE,
    strictFacilities: e.STRICT_FACILITIES,
    limits: {
      maxEventBytes: e.MAX_EVENT_BYTES,
      maxClockSkewMs: e.MAX_CLOCK_SKEW_SECONDS * 1000,
      dedupDays: e.DEDUP_DAYS,
    },
    orphanWaitMs: e.ORPHAN_WAIT_MINUTES * 60_000,
    graceMs: e.SHIFT_GRACE_MINUTES * 60_000,
    summaryCoalesceMs: e.SUMMARY_COALESCE_SECONDS * 1000,
    deadlines: {
      receipt: minutes({
        EXPRESS: e.RECEIPT_DEADLINE_EXPRESS_MINUTES,
        PARCEL: e.RECEIPT_DEADLINE_PARCEL_MINUTES,
        LETTER: e.RECEIPT_DEADLINE_LETTER_MINUTES,
      }),
      feedback: minutes({
        EXPRESS: e.FEEDBACK_DEADLINE_EXPRESS_MINUTES,
        PARCEL: e.FEEDBACK_DEADLINE_PARCEL_MINUTES,
        LETTER: e.FEEDBACK_DEADLINE_LETTER_MINUTES,
      }),
    },
    retentionMs: (e.DEDUP_DAYS + 1) * DAY_MS,
  };
}
