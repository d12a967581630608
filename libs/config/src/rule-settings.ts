import { z } from 'zod';

import { env } from './env';

/** The ledger rules' settings (SPEC sections 2, 3 and 10). */
export const RuleSettings = z.object({
  SCAN_TOPIC: env.string('postal.scan-events'),
  FACILITIES_FILE: env.string('deploy/config/facilities.json'),
  STRICT_FACILITIES: env.bool(false),
  MAX_CLOCK_SKEW_SECONDS: env.int(300, 0, 86_400),
  MAX_EVENT_BYTES: env.int(65_536, 256, 10_000_000),
  DEDUP_DAYS: env.int(7, 1, 90),
  ORPHAN_WAIT_MINUTES: env.int(30, 0, 1_440),
  SHIFT_GRACE_MINUTES: env.int(30, 0, 1_440),
});
export type RuleSettings = z.infer<typeof RuleSettings>;
