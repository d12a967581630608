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
export {
  foldLedgerHash,
  hasLedger,
  ledgerFacilities,
  listShifts,
  readShiftLedger,
  readShiftLedgerPage,
} from './shift-ledger';
export type { HandOffRef, SegmentCounters, ShiftLedger, ShiftLedgerPage } from './shift-ledger';
export { KeptPositions } from './kept-positions';
export { WatchStore } from './watch-store';
export type { WatchStoreOptions } from './watch-store';
export type { OutboxEntry } from './outbox';
export { ShardLeases, shardOf } from './shard-leases';
export { AlertActions } from './alert-actions';
export type { AckOutcome, ResolveOutcome } from './alert-actions';
