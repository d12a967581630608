export { diffShift } from './compare-shift';
export type { ReportedShift } from './compare-shift';
export { DEFAULT_SHUFFLE_WINDOW_MS, inOrder, shuffled } from './delivery-order';
export type { ShuffleOptions } from './delivery-order';
export type {
  DayTally,
  ExpectedAlerts,
  GroundTruth,
  OpenCause,
  OpenHandOffTruth,
  OrphanTruth,
  ShiftTruth,
  ViolationTruth,
} from './ground-truth';
export { SERVICE_INDICATORS, itemNumber, withWrongCheckDigit } from './item-numbers';
export {
  CENTRE_SHIFTS,
  STATION_SHIFTS,
  buildNetwork,
  calendarWithNetwork,
  facilityCalendarOf,
} from './network';
export { DEFAULT_SCAN_LIMITS, LedgerReading } from './ledger-reading';
export type { DeliveryStation, Network, NetworkSize, ProcessingCentre } from './network';
export { generatePostalDay, streamPostalDay } from './postal-day';
export type {
  DayMessage,
  DaySetting,
  InjectedFault,
  MessageRole,
  PostalDay,
  PostalDayStream,
} from './postal-day';
export { Dice } from './random';
export {
  DEFAULT_DEADLINES,
  DEFAULT_FAULTS,
  DEFAULT_MIX,
  DEFAULT_NETWORK,
  NO_FAULTS,
  resolveOptions,
} from './simulation-options';
export type { FaultRates, ResolvedOptions, SimulationOptions, TrafficMix } from './simulation-options';
