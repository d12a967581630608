import { z } from 'zod';

/** Why a scan event went to the dead-letter topic instead of the ledger (SPEC section 2). */
export const DeadLetterReason = z.enum([
  'INVALID_JSON',
  'SCHEMA',
  'BAD_ITEM_ID',
  'FUTURE_TIMESTAMP',
  'UNKNOWN_FACILITY',
  'TOO_LATE',
  'OVERSIZE',
  /** accepted by parsing but refused by the ledger's store (Redis refused the script's input) */
  'UNPROCESSABLE',
]);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** Kafka header names on a dead-lettered message; the value keeps the original bytes. */
export const DeadLetterHeader = {
  reason: 'x-dlq-reason',
  detail: 'x-dlq-detail',
  sourceTopic: 'x-source-topic',
  sourcePartition: 'x-source-partition',
  sourceOffset: 'x-source-offset',
} as const;
export type DeadLetterHeader = (typeof DeadLetterHeader)[keyof typeof DeadLetterHeader];
