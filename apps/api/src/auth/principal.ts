import type { Role, Scope } from './tokens-file';

/** What a request may do. */
export type Permission =
  'ledgers:read' | 'alerts:read' | 'alerts:ack' | 'alerts:resolve' | 'subscriptions:manage' | 'lag:read';

/**
 * The role matrix (README): supervisors and managers work with their facilities' ledgers, alerts and
 * subscriptions, and a supervisor, on the floor, resolves violations; an SRE sees consumer lag and
 * alerts (CONSUMER_LAG whatever its scope); an admin does everything. Facilities still bound each.
 */
export const PERMISSIONS: Record<Role, readonly Permission[]> = {
  supervisor: ['ledgers:read', 'alerts:read', 'alerts:ack', 'alerts:resolve', 'subscriptions:manage'],
  manager: ['ledgers:read', 'alerts:read', 'alerts:ack', 'subscriptions:manage'],
  sre: ['alerts:read', 'lag:read'],
  admin: ['ledgers:read', 'alerts:read', 'alerts:ack', 'alerts:resolve', 'subscriptions:manage', 'lag:read'],
};

/** The caller behind a bearer token. */
export class Principal {
  private readonly facilities: ReadonlySet<string> | null;

  constructor(
    readonly name: string,
    readonly role: Role,
    readonly scope: Scope,
  ) {
    this.facilities = scope[0] === '*' ? null : new Set(scope);
  }

  get everyFacility(): boolean {
    return this.facilities === null;
  }

  /** The scope's facility ids (empty for a "*" scope). */
  get facilityIds(): string[] {
    return this.facilities ? [...this.facilities] : [];
  }

  may(permission: Permission): boolean {
    return PERMISSIONS[this.role].includes(permission);
  }

  covers(facilityId: string): boolean {
    return this.facilities === null || this.facilities.has(facilityId);
  }

  /** Alerts without a facility (CONSUMER_LAG): for "*" scopes and SREs. */
  get seesSystemAlerts(): boolean {
    return this.facilities === null || this.role === 'sre';
  }

  /** Whether an alert (or anything about one facility, or none) is in scope. */
  seesFacility(facilityId: string | null): boolean {
    return facilityId === null ? this.seesSystemAlerts : this.covers(facilityId);
  }

  /** A subscription is in scope when every facility of it is ('*' subscriptions: only '*' tokens). */
  coversAll(facilities: readonly string[]): boolean {
    if (facilities.includes('*')) return this.everyFacility;
    return facilities.every((f) => this.covers(f));
  }

  toJSON() {
    return { name: this.name, role: this.role, facilities: this.scope };
  }
}
