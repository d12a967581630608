/** Injection tokens for what is not a class of our own. */
export const LEDGER_CONFIG = Symbol('LEDGER_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const REDIS = Symbol('REDIS');
