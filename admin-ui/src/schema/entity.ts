// Reading an entity type's schema: its annotations, its fields as columns, labels for people.
import type { EntityType, JsonSchema, Lookup, RecordData, XrmAnnotations } from '../api/types';
import { SYSTEM_FIELDS } from '../api/types';

export function annotations(schema: JsonSchema): XrmAnnotations {
  return schema['x-xrm'] ?? { name: '', display_name: '', title_field: '' };
}

/** "billing_address/city" → "Billing address city"; a property's own `title` wins. */
export function humanize(name: string): string {
  const words = name.replace(/\//g, ' ').replace(/_/g, ' ').replace(/\bid$/, '').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fieldLabel(name: string, property?: JsonSchema): string {
  return property?.title ?? humanize(name);
}

export type ColumnType = 'text' | 'number' | 'boolean' | 'date' | 'date-time' | 'enum' | 'lookup';

/** A scalar field that can be a list column, filtered and sorted: a top-level or nested path. */
export interface ColumnField {
  path: string;
  label: string;
  type: ColumnType;
  enumValues?: string[];
  lookup?: Lookup;
  system: boolean;
}

function scalarType(property: JsonSchema, lookup: Lookup | undefined): ColumnType | null {
  if (lookup) return 'lookup';
  if (Array.isArray(property.enum)) return 'enum';
  const type = Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      if (property.format === 'date') return 'date';
      if (property.format === 'date-time') return 'date-time';
      return 'text';
    default:
      return null;
  }
}

/** Every scalar field of the type, nested objects flattened to paths, then the system fields. */
export function columnFields(schema: JsonSchema): ColumnField[] {
  const lookups = annotations(schema).lookups ?? {};
  const fields: ColumnField[] = [];
  const visit = (properties: Record<string, JsonSchema>, prefix: string, labelPrefix: string) => {
    for (const [name, property] of Object.entries(properties)) {
      const path = prefix + name;
      const label = labelPrefix + fieldLabel(name, property);
      if (property.type === 'object' && property.properties) {
        visit(property.properties, `${path}/`, `${label} › `);
        continue;
      }
      const type = scalarType(property, prefix ? undefined : lookups[name]);
      if (!type) continue;
      fields.push({
        path,
        label,
        type,
        enumValues: type === 'enum' ? property.enum!.map(String) : undefined,
        lookup: prefix ? undefined : lookups[name],
        system: false,
      });
    }
  };
  visit(schema.properties ?? {}, '', '');
  for (const name of SYSTEM_FIELDS) {
    if (name === 'id') continue;
    const type: ColumnType = name === 'version' ? 'number' : name.endsWith('_at') ? 'date-time' : 'text';
    fields.push({ path: name, label: humanize(name), type, system: true });
  }
  return fields;
}

/** The columns a list shows before the user chooses: title, state, indexed fields, last change. */
export function defaultColumns(schema: JsonSchema, fields: ColumnField[]): string[] {
  const xrm = annotations(schema);
  const wanted = [xrm.title_field, xrm.state_machine?.field, ...(xrm.indexed ?? []), ...(schema.required ?? [])];
  const chosen: string[] = [];
  for (const path of wanted) {
    if (path && !chosen.includes(path) && fields.some((f) => f.path === path) && chosen.length < 6) chosen.push(path);
  }
  chosen.push('updated_at');
  return chosen;
}

/** Reads a value at a `/`-separated path of a record. */
export function valueAt(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const key of path.split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The name people read for a record: its title field, else its id. */
export function recordTitle(type: EntityType | undefined, record: RecordData): string {
  const titleField = type ? annotations(type.schema).title_field : '';
  const title = titleField ? record[titleField] : undefined;
  return typeof title === 'string' && title ? title : record.id;
}

/** The record's data fields: everything but the system fields and `_expand`. */
export function dataFields(record: RecordData): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!(SYSTEM_FIELDS as readonly string[]).includes(key) && !key.startsWith('_')) data[key] = value;
  }
  return data;
}

/** The types with a lookup to `target`, and through which field: the related lists of a record. */
export function relationsTo(target: string, types: EntityType[]): { type: EntityType; via: string }[] {
  const relations: { type: EntityType; via: string }[] = [];
  for (const type of types) {
    for (const [field, lookup] of Object.entries(annotations(type.schema).lookups ?? {})) {
      if (lookup.target === target) relations.push({ type, via: field });
    }
  }
  return relations;
}

/** Formats a scalar for display in lists and detail views. */
export function formatValue(value: unknown, type?: ColumnType): string {
  if (value === undefined || value === null) return '';
  if (type === 'date-time' && typeof value === 'string') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
  }
  if (typeof value === 'number') return value.toLocaleString();
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
