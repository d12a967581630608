export { handOffKey, ledgerKeys } from './keys';
export { ledgerOwnerOf, toLedgerScan } from './ledger-scan';
export type { LedgerScan } from './ledger-scan';
export {
  deadlinesArg,
  isDeterministicRedisError,
  LedgerRegressedError,
  LedgerStore,
  scanRows,
} from './ledger-store';
export type { LedgerStoreOptions, ScanResult } from './ledger-store';
export { foldLedgerHash, listShifts, readShiftLedger } from './shift-ledger';
export type { Counters, HandOffRef, SegmentCounters, ShiftLedger } from './shift-ledger';
export { WatchStore } from './watch-store';
export type { OutboxEntry, WatchStoreOptions } from './watch-store';
export { ShardLeases, shardOf } from './shard-leases';
export { AlertActions } from './alert-actions';
export type { AckOutcome, ResolveOutcome } from './alert-actions';
