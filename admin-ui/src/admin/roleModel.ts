// The role editor's model and its exact translation to and from a role's permissions document
// (docs/security.md): three switches, then one row per entity type (`*` first) whose keys either
// say something or inherit from `*`, and per-field restrictions.
import { SCOPES, type FieldAccess, type Permissions, type Scope, type TypePermissions } from '../auth/permissions';

export const INHERIT = 'inherit' as const;
export type Inherit = typeof INHERIT;
export const SCOPED_VERBS = ['read', 'update', 'delete', 'actions'] as const;
export type ScopedVerbKey = (typeof SCOPED_VERBS)[number];

export interface FieldRule {
  field: string;
  access: FieldAccess;
}

export interface TypeRow {
  /** `*` for every type, else an entity type's name. */
  type: string;
  create: boolean | Inherit;
  read: Scope | Inherit;
  update: Scope | Inherit;
  delete: Scope | Inherit;
  actions: Scope | Inherit;
  fields: FieldRule[];
}

export interface RoleModel {
  admin: boolean;
  audit: boolean;
  reports: boolean;
  /** The `*` row first, then the types in the order of the document. */
  rows: TypeRow[];
  /** Keys of the document this editor does not know, given back as they came. */
  extra: Record<string, unknown>;
}

export function emptyRow(type: string): TypeRow {
  return { type, create: INHERIT, read: INHERIT, update: INHERIT, delete: INHERIT, actions: INHERIT, fields: [] };
}

/** The `*` row of a role that may do nothing until the admin says so. */
function starRow(): TypeRow {
  return { type: '*', create: false, read: 'none', update: 'none', delete: 'none', actions: 'none', fields: [] };
}

function scopeOrInherit(value: unknown): Scope | Inherit {
  return SCOPES.includes(value as Scope) ? (value as Scope) : INHERIT;
}

function rowFrom(type: string, entry: TypePermissions | undefined): TypeRow {
  const row = emptyRow(type);
  if (!entry || typeof entry !== 'object') return row;
  if (typeof entry.create === 'boolean') row.create = entry.create;
  for (const verb of SCOPED_VERBS) row[verb] = scopeOrInherit(entry[verb]);
  for (const [field, access] of Object.entries(entry.fields ?? {})) {
    if (access === 'hidden' || access === 'read_only') row.fields.push({ field, access });
  }
  return row;
}

/** The editor's model of a permissions document. */
export function fromPermissions(permissions: Permissions | null | undefined): RoleModel {
  const doc = (permissions ?? {}) as Permissions & Record<string, unknown>;
  const { admin, audit, reports, types, ...extra } = doc;
  const entries = types && typeof types === 'object' ? types : {};
  const rows: TypeRow[] = [rowFrom('*', entries['*'])];
  for (const [type, entry] of Object.entries(entries)) {
    if (type !== '*') rows.push(rowFrom(type, entry));
  }
  return { admin: admin === true, audit: audit === true, reports: reports === true, rows, extra };
}

/** A new role's model: no switches, nothing allowed on any type. */
export function newRoleModel(): RoleModel {
  return { admin: false, audit: false, reports: false, rows: [starRow()], extra: {} };
}

function entryOf(row: TypeRow): TypePermissions {
  const entry: TypePermissions = {};
  if (row.create !== INHERIT) entry.create = row.create;
  for (const verb of SCOPED_VERBS) {
    const scope = row[verb];
    if (scope !== INHERIT) entry[verb] = scope;
  }
  if (row.fields.length) {
    entry.fields = {};
    for (const rule of row.fields) entry.fields[rule.field] = rule.access;
  }
  return entry;
}

/** The permissions document of a model; keys left to inherit are left out. */
export function toPermissions(model: RoleModel): Permissions {
  const types: Record<string, TypePermissions> = {};
  for (const row of model.rows) types[row.type] = entryOf(row);
  return { ...model.extra, admin: model.admin, audit: model.audit, reports: model.reports, types };
}

/** What keeps the model from being saved, one message each. */
export function roleProblems(model: RoleModel): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  model.rows.forEach((row, index) => {
    const name = row.type.trim();
    if (!name) problems.push(`row ${index + 1} names no entity type`);
    else if (seen.has(name)) problems.push(`${name} has two rows`);
    seen.add(name);
    const fields = new Set<string>();
    for (const rule of row.fields) {
      const field = rule.field.trim();
      if (!field) problems.push(`${name || `row ${index + 1}`}: a field restriction names no field`);
      else if (fields.has(field)) problems.push(`${name}: ${field} is restricted twice`);
      fields.add(field);
    }
  });
  if (!model.rows.some((row) => row.type === '*')) problems.push('the * row is missing');
  return problems;
}

/** What a key of a type row amounts to once `*` is applied, for the grid's hint. */
export function effective<K extends 'create' | ScopedVerbKey>(model: RoleModel, row: TypeRow, key: K): TypeRow[K] {
  if (row[key] !== INHERIT || row.type === '*') return row[key];
  const star = model.rows.find((r) => r.type === '*');
  const value = star?.[key];
  if (value === undefined || value === INHERIT) return (key === 'create' ? false : 'none') as TypeRow[K];
  return value;
}
