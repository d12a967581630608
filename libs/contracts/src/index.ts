export { Alert, AlertKind, AlertSeverity, AlertStatus, MAX_ALERT_ITEMS } from './alert';
export { DeadLetterHeader, DeadLetterReason } from './dead-letter';
export { deadlineOf } from './deadlines';
export type { Deadlines } from './deadlines';
export { parseScanMessage } from './parse-scan';
export type { ParsedScan, ScanLimits } from './parse-scan';
export { isValidS10, mailClassOfItem, s10CheckDigit } from './s10';
export {
  FeedbackEvent,
  FeedbackOutcome,
  HandoverEvent,
  MailClass,
  ReceiptEvent,
  ScanEvent,
  isWellFormedText,
} from './scan-event';
export type { ClosureEvent, ScanEventType } from './scan-event';
export {
  FacilityId,
  RouteId,
  SegmentId,
  isFacilityId,
  isRoute,
  isRouteId,
  isSegmentId,
  ownerFacilityOf,
} from './segment';
export {
  COUNTERS,
  FEEDBACK_COUNTER,
  LedgerCounters,
  RECEIPT_COUNTER,
  SegmentCounters,
  ShiftId,
  ShiftSummary,
  shiftSummaryKey,
  zeroCounters,
} from './shift-summary';
export type { ClosureCounter, Counter, Counters } from './shift-summary';
export { DefaultTopic } from './topics';
