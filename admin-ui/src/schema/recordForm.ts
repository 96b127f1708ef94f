// From an entity type to the schema and uiSchema of its create/edit form.
import type { UiSchema } from '@rjsf/utils';
import type { EntityType, JsonSchema } from '../api/types';
import { annotations } from './entity';

export type FormMode = { kind: 'create' } | { kind: 'edit'; currentState?: string };

export interface RecordForm {
  schema: JsonSchema;
  uiSchema: UiSchema;
}

/** Strings longer than this get a text area rather than a one-line input. */
const TEXTAREA_FROM_LENGTH = 256;

/**
 * The form's schema is the entity schema itself (so the browser checks what the host will), minus
 * `$schema` (the form validator speaks 2020-12) and `x-xrm`; a state field offers only the states
 * the state machine allows from here.
 */
export function recordForm(type: EntityType, mode: FormMode): RecordForm {
  // The page shows the type's title and description already.
  const { $schema: _draft, 'x-xrm': _xrm, title: _title, description: _description, ...rest } = type.schema;
  const schema: JsonSchema = structuredClone(rest);
  const xrm = annotations(type.schema);
  const properties = schema.properties ?? {};
  const uiSchema: UiSchema = { 'ui:order': [xrm.title_field, '*'].filter(Boolean) };

  for (const [name, property] of Object.entries(properties)) {
    const lookup = xrm.lookups?.[name];
    if (lookup) {
      uiSchema[name] = { 'ui:widget': 'lookup', 'ui:options': { target: lookup.target } };
    } else if (property.type === 'string' && !property.enum && !property.format && (property.maxLength ?? 0) >= TEXTAREA_FROM_LENGTH) {
      uiSchema[name] = { 'ui:widget': 'textarea', 'ui:options': { rows: 4 } };
    }
  }

  const machine = xrm.state_machine;
  const stateProperty = machine ? properties[machine.field] : undefined;
  if (machine && stateProperty && Array.isArray(stateProperty.enum)) {
    const allowed = allowedStates(stateProperty.enum.map(String), machine, mode);
    stateProperty.enum = allowed;
    if (stateProperty.default !== undefined && !allowed.includes(String(stateProperty.default))) delete stateProperty.default;
  }
  return { schema, uiSchema };
}

/** The states a record may be put in: `initial` on create; the current state and its moves on edit. */
export function allowedStates(
  states: string[],
  machine: { initial?: string[]; transitions: Record<string, string[]> },
  mode: FormMode,
): string[] {
  if (mode.kind === 'create') return machine.initial?.length ? states.filter((s) => machine.initial!.includes(s)) : states;
  const current = mode.currentState;
  if (current === undefined || !states.includes(current)) return states;
  const moves = machine.transitions[current];
  if (!moves) return states;
  return states.filter((s) => s === current || moves.includes(s));
}

/**
 * The form as the user's role allows it (docs/security.md, `fields`): a hidden field is left out
 * (the host keeps its value on replace), a read-only one is shown but cannot be typed in, and
 * carries no default on create, since setting it would be refused.
 */
export function restrictForm(form: RecordForm, fields: Record<string, 'hidden' | 'read_only'>, mode: FormMode): RecordForm {
  if (Object.keys(fields).length === 0) return form;
  const schema: JsonSchema = structuredClone(form.schema);
  const uiSchema: UiSchema = { ...form.uiSchema };
  const properties = schema.properties ?? {};
  for (const [name, access] of Object.entries(fields)) {
    if (!(name in properties)) continue;
    if (access === 'hidden') {
      delete properties[name];
      if (schema.required) schema.required = schema.required.filter((field) => field !== name);
      delete uiSchema[name];
    } else {
      uiSchema[name] = { ...(uiSchema[name] as object | undefined), 'ui:readonly': true };
      if (mode.kind === 'create') delete properties[name].default;
    }
  }
  const order = uiSchema['ui:order'];
  if (Array.isArray(order)) uiSchema['ui:order'] = order.filter((name: string) => name === '*' || name in properties);
  return { schema, uiSchema };
}

/**
 * What a save sends: the form's data without the fields the role may not write. The host keeps
 * their stored values on replace; sending them back could only be refused (`field_read_only`),
 * and is refused even unchanged when JavaScript rewrote a stored number (1200.0 reads as 1200).
 */
export function writableData(data: Record<string, unknown>, fields: Record<string, 'hidden' | 'read_only'>): Record<string, unknown> {
  const writable: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    if (!fields[name]) writable[name] = value;
  }
  return writable;
}
