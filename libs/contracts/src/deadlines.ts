import type { MailClass } from './scan-event';

/**
 * Deadlines in minutes from the HANDOVER (SPEC rule 5), by hand-off kind and mail class: `receipt`
 * for a hand-off to a facility, `feedback` for one to a route. A class that is absent has none.
 */
export interface Deadlines {
  receipt: Partial<Record<MailClass, number>>;
  feedback: Partial<Record<MailClass, number>>;
}
