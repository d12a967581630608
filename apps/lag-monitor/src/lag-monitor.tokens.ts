/** Injection tokens for what is not a class of our own. */
export const LAG_MONITOR_CONFIG = Symbol('LAG_MONITOR_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const REDIS = Symbol('REDIS');
