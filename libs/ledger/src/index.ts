export { handOffKey, ledgerKeys } from './keys';
export { ledgerOwnerOf, toLedgerScan } from './ledger-scan';
export type { ClosureCounter, LedgerScan } from './ledger-scan';
export { LedgerRegressedError, LedgerStore } from './ledger-store';
export type { LedgerStoreOptions, ScanResult } from './ledger-store';
export { COUNTERS, foldLedgerHash, listShifts, readShiftLedger, zeroCounters } from './shift-ledger';
export type { Counter, Counters, HandOffRef, SegmentCounters, ShiftLedger } from './shift-ledger';
