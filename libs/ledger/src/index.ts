export { handOffKey, ledgerKeys } from './keys';
export { ledgerOwnerOf, toLedgerScan } from './ledger-scan';
export type { ClosureCounter, LedgerScan } from './ledger-scan';
export {
  deadlinesArg,
  isDeterministicRedisError,
  LedgerRegressedError,
  LedgerStore,
  scanRows,
} from './ledger-store';
export type { Deadlines, LedgerStoreOptions, ScanResult } from './ledger-store';
export { COUNTERS, foldLedgerHash, listShifts, readShiftLedger, zeroCounters } from './shift-ledger';
export type { Counter, Counters, HandOffRef, SegmentCounters, ShiftLedger } from './shift-ledger';
export { WatchStore } from './watch-store';
export type { OutboxEntry, WatchStoreOptions } from './watch-store';
export { ShardLeases, shardOf } from './shard-leases';
export { AlertActions } from './alert-actions';
export type { AckOutcome, ResolveOutcome } from './alert-actions';
