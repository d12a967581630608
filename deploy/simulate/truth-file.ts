/**
 * The ground truth file the simulator writes (`--truth`): what the system must end with for exactly
 * the messages sent, once every orphan wait has passed. Parsed with this schema by whoever reads it.
 */
import { z } from 'zod';

import { DeadLetterReason, LedgerCounters, SegmentCounters } from '@app/contracts';

const ItemIds = z.array(z.string());

export const ShiftTruthRecord = z.object({
  facilityId: z.string(),
  shiftId: z.string(),
  /** ISO instants of the shift (local start and end in the calendar the services read) */
  start: z.string(),
  end: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  balanced: z.boolean(),
  totals: LedgerCounters,
  byClass: z.object({ EXPRESS: LedgerCounters, PARCEL: LedgerCounters, LETTER: LedgerCounters }),
  bySegment: z.array(SegmentCounters),
  /** one entry per open hand-off, sorted */
  openItems: ItemIds,
  /** one entry per orphaned closure, sorted */
  orphanItems: ItemIds,
  violations: z.object({ unconsentedDelivery: z.number().int() }),
});
export type ShiftTruthRecord = z.infer<typeof ShiftTruthRecord>;

/** Item ids per injected fault kind, one entry per faulty message sent (an item can repeat). */
export const InjectedFaults = z.object({
  LOST_RECEIPT: ItemIds,
  MISSING_FEEDBACK: ItemIds,
  ORPHAN_CLOSURE: ItemIds,
  UNCONSENTED_DELIVERY: ItemIds,
  DOUBLE_SCAN: ItemIds,
  DOUBLE_CLOSURE: ItemIds,
  RESENT: ItemIds,
  /** messages held back and sent after later ones */
  REORDERED: ItemIds,
  /** messages the system must dead-letter, by the reason it must give */
  BAD_MESSAGE: z.record(DeadLetterReason, ItemIds),
});
export type InjectedFaults = z.infer<typeof InjectedFaults>;

export const SimulationTruth = z.object({
  version: z.literal(1),
  run: z.object({
    seed: z.number().int(),
    prefix: z.string(),
    topic: z.string(),
    brokers: z.array(z.string()),
    /** the calendar file the shifts below follow */
    facilitiesFile: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    /** false: stopped before the end of the day (Ctrl-C); the truth is of what was sent */
    completed: z.boolean(),
    speedup: z.number(),
    rate: z.number(),
    network: z.object({ centres: z.number(), stationsPerCentre: z.number(), routesPerStation: z.number() }),
    faultRates: z.record(z.number()),
    /** the simulated window, ISO; `simulatedUntil`: how far the simulated clock got */
    simulatedStart: z.string(),
    simulatedEnd: z.string(),
    simulatedUntil: z.string(),
  }),
  facilities: z.array(z.string()),
  messages: z.object({
    sent: z.number().int(),
    /** sent minus those that must be dead-lettered */
    valid: z.number().int(),
    deadLetters: z.record(DeadLetterReason, z.number().int()),
  }),
  /** by facility, then shift id */
  shifts: z.array(ShiftTruthRecord),
  faults: InjectedFaults,
  /**
   * For a completed day: the generator's own count of the day agrees with the reading of the messages
   * sent (null when the run was stopped early, as the generator counts the whole day).
   */
  selfCheck: z.object({ generatorAgrees: z.boolean().nullable(), differences: z.array(z.string()) }),
});
export type SimulationTruth = z.infer<typeof SimulationTruth>;
