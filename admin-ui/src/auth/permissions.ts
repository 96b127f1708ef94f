// What the signed-in user may do, from the session's `permissions` (docs/security.md, "Roles and
// permissions"): admin screens for `admin`, the audit trail for `admin` or `audit`, reports for
// `reports`, and per entity type create/read/update/delete/actions with `*` as the fallback.
// The host checks every request; this only hides what would be refused.

export type Scope = 'none' | 'own' | 'team' | 'workspace';
export type FieldAccess = 'hidden' | 'read_only';
export type ScopedVerb = 'read' | 'update' | 'delete' | 'actions';
export type Verb = 'create' | ScopedVerb;

export interface TypePermissions {
  create?: boolean;
  read?: Scope;
  update?: Scope;
  delete?: Scope;
  actions?: Scope;
  fields?: Record<string, FieldAccess>;
}

export interface Permissions {
  admin?: boolean;
  audit?: boolean;
  reports?: boolean;
  types?: Record<string, TypePermissions>;
}

/** Who is asking, as far as ownership goes. */
export interface Principal {
  id: string;
  teams: string[];
}

/** Ownership of a record: the system fields `owned_by` and `owning_team`. */
export interface Owned {
  owned_by?: unknown;
  owning_team?: unknown;
}

export const SCOPES: Scope[] = ['none', 'own', 'team', 'workspace'];

/** What one type allows: its entry over `*`, key by key; anything unsaid is refused. */
export function typePermissions(permissions: Permissions | undefined, type: string): Required<Omit<TypePermissions, 'fields'>> & { fields: Record<string, FieldAccess> } {
  if (permissions?.admin) {
    return { create: true, read: 'workspace', update: 'workspace', delete: 'workspace', actions: 'workspace', fields: {} };
  }
  const star = permissions?.types?.['*'] ?? {};
  const own = type === '*' ? {} : (permissions?.types?.[type] ?? {});
  const merged = { ...star, ...own };
  return {
    create: merged.create === true,
    read: scopeOf(merged.read),
    update: scopeOf(merged.update),
    delete: scopeOf(merged.delete),
    actions: scopeOf(merged.actions),
    fields: { ...(merged.fields ?? {}) },
  };
}

function scopeOf(value: unknown): Scope {
  return SCOPES.includes(value as Scope) ? (value as Scope) : 'none';
}

/** May the user create records of `type`? */
export function canCreate(permissions: Permissions | undefined, type: string): boolean {
  return typePermissions(permissions, type).create;
}

/**
 * May the user `verb` this record (or, without one, any record) of `type`? `team` is answered
 * yes unless the record is plainly someone else's: a teammate's ownership is the host's to judge.
 */
export function canOnRecord(
  permissions: Permissions | undefined,
  verb: ScopedVerb,
  type: string,
  principal?: Principal,
  record?: Owned,
): boolean {
  const scope = typePermissions(permissions, type)[verb];
  if (scope === 'none') return false;
  if (scope === 'workspace' || !record || !principal) return true;
  const owner = typeof record.owned_by === 'string' ? record.owned_by : null;
  if (owner === principal.id) return true;
  if (scope === 'own') return false;
  const team = typeof record.owning_team === 'string' ? record.owning_team : null;
  if (team && principal.teams.includes(team)) return true;
  // Owned by someone who may be in one of the user's teams; only the host knows.
  return owner !== null;
}

/** How a field shows for the user: `hidden`, `read_only` or `null` (free). */
export function fieldAccess(permissions: Permissions | undefined, type: string, field: string): FieldAccess | null {
  return typePermissions(permissions, type).fields[field] ?? null;
}

export const isAdmin = (permissions: Permissions | undefined): boolean => permissions?.admin === true;

export const canReadAudit = (permissions: Permissions | undefined): boolean =>
  permissions?.admin === true || permissions?.audit === true;

export const canRunReports = (permissions: Permissions | undefined): boolean =>
  permissions?.admin === true || permissions?.reports === true;
