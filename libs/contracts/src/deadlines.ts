import type { MailClass } from './scan-event';
import { isRoute } from './segment';

/**
 * Deadlines in minutes from the HANDOVER (SPEC rule 5), by hand-off kind and mail class: `receipt`
 * for a hand-off to a facility, `feedback` for one to a route. A class that is absent has none.
 */
export interface Deadlines {
  receipt: Partial<Record<MailClass, number>>;
  feedback: Partial<Record<MailClass, number>>;
}

/** The deadline in minutes of a hand-off to `to` of `mailClass` (feedback to a route, else receipt), if any. */
export function deadlineOf(deadlines: Deadlines, to: string, mailClass: MailClass): number | undefined {
  return (isRoute(to) ? deadlines.feedback : deadlines.receipt)[mailClass];
}
