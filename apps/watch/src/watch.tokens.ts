/** Injection tokens for what is not a class of our own. */
export const WATCH_CONFIG = Symbol('WATCH_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const REDIS = Symbol('REDIS');
