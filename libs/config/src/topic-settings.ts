import { DefaultTopic } from '@app/contracts';

import { env } from './env';

/**
 * The output topics' settings (SPEC section 10), defined once for every service that writes or reads
 * them: each service's environment takes the ones it uses.
 */
export const OutputTopicSettings = {
  ALERTS_TOPIC: env.string(DefaultTopic.alerts),
  SUMMARIES_TOPIC: env.string(DefaultTopic.shiftSummaries),
  /** partitions of an output topic the service creates when it is missing */
  OUTPUT_TOPIC_PARTITIONS: env.int(6, 1, 10_000),
};

/** The system's own consumer groups, by service (LEDGER_GROUP_ID, API_GROUP_ID, NOTIFIER_GROUP_ID). */
export const DEFAULT_GROUP_IDS = {
  ledger: 'handover-ledger',
  api: 'handover-api',
  notifier: 'handover-notifier',
} as const;
