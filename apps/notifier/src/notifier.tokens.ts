/** Injection tokens for what is not a class of our own. */
export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const REDIS = Symbol('REDIS');
