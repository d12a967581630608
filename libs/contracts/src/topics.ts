/**
 * Default Kafka topic names (SPEC sections 2, 4, 5). Apps may override them through their
 * configuration (e.g. `SCAN_TOPIC`); no handler spells a topic name itself.
 */
export const DefaultTopic = {
  scanEvents: 'postal.scan-events',
  scanEventsDeadLetter: 'postal.scan-events.dlq',
  alerts: 'handover.alerts',
  shiftSummaries: 'handover.shift-summaries',
} as const;

export type DefaultTopic = (typeof DefaultTopic)[keyof typeof DefaultTopic];
