export { addEndPoint, lagAge } from './end-history';
export type { EndPoint, LagAge } from './end-history';
export { advanceWindow, GroupWindow, PartitionWindow } from './group-window';
export type { AdvancedGroup, GroupSample, PartitionOffsets, WindowSettings } from './group-window';
export { lagAlertId, LagAlertState, nextLagAlert } from './lag-alert';
export {
  GroupLag,
  LAG_STATUS_RANK,
  LagReport,
  LagStatus,
  PartitionLag,
  readLagReport,
  writeLagReport,
} from './lag-report';
export { partitionStatus, worstStatus } from './lag-rules';
export type { LagRules, PartitionState, WindowSample } from './lag-rules';
export { LagStore } from './lag-store';
export { lagKeys } from './keys';
