/** Injection tokens for what is not a class of our own. */
export const API_CONFIG = Symbol('API_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const REDIS = Symbol('REDIS');
