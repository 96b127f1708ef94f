// Logic of the administration screens: what a user edit changes, token expiry, team membership,
// and an audit entry's changes as rows of before → after.
import type { AuditEntry, User, UserChange } from '../api/types';

export interface UserForm {
  display_name: string;
  role: string;
  disabled: boolean;
  /** A new password; empty leaves it as it is. */
  password: string;
}

export function userForm(user: User): UserForm {
  return { display_name: user.display_name, role: user.role, disabled: user.disabled, password: '' };
}

/** The PATCH of an edited user: only what changed; `password` only when one was typed. */
export function userChange(user: User, form: UserForm): UserChange {
  const change: UserChange = {};
  if (form.display_name.trim() !== user.display_name) change.display_name = form.display_name.trim();
  if (form.role !== user.role) change.role = form.role;
  if (form.disabled !== user.disabled) change.disabled = form.disabled;
  if (form.password) change.password = form.password;
  return change;
}

export function passwordProblem(password: string): string | null {
  if (password.length < 8) return 'A password has at least 8 characters.';
  if (password.length > 1024) return 'A password has at most 1024 characters.';
  return null;
}

/** The choices of a token's lifetime, in days; a token lives at most 366 days. */
export const TOKEN_LIFETIMES = [7, 30, 90, 180, 366] as const;

/** `expires_at` for a token living `days` from `now`, as RFC 3339 UTC. */
export function expiryFrom(now: Date, days: number): string {
  const clamped = Math.min(366, Math.max(1, Math.floor(days)));
  return new Date(now.getTime() + clamped * 86_400_000).toISOString();
}

/** A token's state for people: active, revoked or expired. */
export function tokenState(token: { revoked_at: string | null; expires_at: string }, now: Date): 'active' | 'revoked' | 'expired' {
  if (token.revoked_at) return 'revoked';
  return new Date(token.expires_at).getTime() <= now.getTime() ? 'expired' : 'active';
}

/** Members with `id` added or taken out, in a stable order. */
export function toggleMember(members: string[], id: string, on: boolean): string[] {
  const rest = members.filter((m) => m !== id);
  return on ? [...rest, id] : rest;
}

export interface ChangeRow {
  field: string;
  before: unknown;
  after: unknown;
}

const SKIPPED = new Set(['version', 'updated_at', 'updated_by', 'created_at', 'created_by']);

/**
 * The fields an entry changed, each with its value before and after: the entry's `changed` list
 * when it has one, else every top-level key whose value differs. Bookkeeping fields are left out
 * unless the entry names them.
 */
export function changeRows(entry: Pick<AuditEntry, 'before' | 'after' | 'changed'>): ChangeRow[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const differs = (key: string) => JSON.stringify(before[key]) !== JSON.stringify(after[key]);
  let fields = entry.changed ?? null;
  if (fields) {
    // A field the host lists whose value reads the same both sides (1200 and 1200.0, say) is noise.
    const bothPresent = entry.before && entry.after;
    fields = fields.filter((key) => !bothPresent || !(key in before) || !(key in after) || differs(key));
  } else {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    fields = [...keys].filter((key) => !SKIPPED.has(key) && differs(key)).sort();
  }
  return fields.map((field) => ({ field, before: before[field], after: after[field] }));
}

/** A value in a change row: `—` for absent, JSON for objects. */
export function showValue(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Who made an entry, for people: the name, else the kind and id. */
export function actorLabel(actor: AuditEntry['actor']): string {
  if (actor.name) return actor.kind === 'user' ? actor.name : `${actor.kind} ${actor.name}`;
  return actor.id ? `${actor.kind} ${actor.id}` : actor.kind;
}

/** The audit filter's dates (`<input type="datetime-local">`) as RFC 3339, or nothing. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A workspace id as the host accepts it. */
export const WORKSPACE_ID = /^[a-z][a-z0-9-]{1,62}$/;
