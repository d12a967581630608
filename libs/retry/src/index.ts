export { Backoff, backoffDelay, sleep } from './backoff';
export type { BackoffPolicy } from './backoff';
export { ThrottledLog } from './throttled-log';
export type { WarnLogger } from './throttled-log';
export { TimerLoop } from './timer-loop';
export type { TimerLoopOptions, Timers } from './timer-loop';
