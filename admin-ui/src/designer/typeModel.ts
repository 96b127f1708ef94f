// The designer's model of an entity type, and its exact translation to and from JSON Schema + x-xrm.
import type { JsonSchema, OnDelete, StateMachine, XrmAnnotations } from '../api/types';
import { SYSTEM_FIELDS } from '../api/types';

/** `custom` is any property the editor has no kind for (a `$ref`, a type list, …): its JSON is edited as it is. */
export const FIELD_KINDS = ['text', 'choice', 'number', 'integer', 'boolean', 'lookup', 'object', 'array', 'custom'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export const TEXT_FORMATS = ['', 'date', 'date-time', 'email', 'uri', 'uuid', 'time', 'hostname', 'ipv4'] as const;

export interface FieldModel {
  name: string;
  kind: FieldKind;
  /** The property's `title`; empty when the name is label enough. */
  label: string;
  description: string;
  /** `format` of a text field. */
  format: string;
  /** `enum` of a choice field. */
  enumValues: string[];
  /** minimum/maximum for numbers, minLength/maxLength for text. */
  min: number | null;
  max: number | null;
  /** `default`, or undefined. */
  defaultValue: unknown;
  required: boolean;
  indexed: boolean;
  unique: boolean;
  lookupTarget: string;
  /** null: the host's default (restrict), not written. */
  onDelete: OnDelete | null;
  /** Keywords the field editor does not model (pattern, properties, items, …), kept as they are. */
  extra: Record<string, unknown>;
}

export interface TypeModel {
  name: string;
  displayName: string;
  pluralName: string;
  description: string;
  titleField: string;
  search: string[];
  fields: FieldModel[];
  stateMachine: StateMachine | null;
  /** Indexed paths that are not a whole top-level field (e.g. `billing_address/city`). */
  otherIndexed: string[];
  /** Unique keys that are not a single top-level field: composite keys and nested paths. */
  otherUnique: (string | string[])[];
  /** Root keywords besides properties, required, description and x-xrm ($schema, title, …). */
  rootExtra: Record<string, unknown>;
}

export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
export const TYPE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

export function newField(name = ''): FieldModel {
  return {
    name,
    kind: 'text',
    label: '',
    description: '',
    format: '',
    enumValues: [],
    min: null,
    max: null,
    defaultValue: undefined,
    required: false,
    indexed: false,
    unique: false,
    lookupTarget: '',
    onDelete: null,
    extra: {},
  };
}

export function newType(): TypeModel {
  return {
    name: '',
    displayName: '',
    pluralName: '',
    description: '',
    titleField: 'name',
    search: [],
    fields: [{ ...newField('name'), required: true, label: 'Name', max: 200 }],
    stateMachine: null,
    otherIndexed: [],
    otherUnique: [],
    rootExtra: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
    },
  };
}

const COMMON_KEYS = ['title', 'description', 'default'];

/** The keywords a kind writes itself; anything else of the property goes to `extra`. */
const MODELED_KEYS: Record<FieldKind, string[]> = {
  text: ['type', 'format', 'minLength', 'maxLength', ...COMMON_KEYS],
  choice: ['type', 'enum', ...COMMON_KEYS],
  number: ['type', 'minimum', 'maximum', ...COMMON_KEYS],
  integer: ['type', 'minimum', 'maximum', ...COMMON_KEYS],
  boolean: ['type', ...COMMON_KEYS],
  lookup: ['type', 'format', ...COMMON_KEYS],
  object: ['type', ...COMMON_KEYS],
  array: ['type', ...COMMON_KEYS],
  custom: COMMON_KEYS,
};

function kindOf(property: JsonSchema, isLookup: boolean): FieldKind {
  if (isLookup) return 'lookup';
  if (Array.isArray(property.enum) && property.type === 'string') return 'choice';
  switch (property.type) {
    case 'string':
      return 'text';
    case 'number':
    case 'integer':
    case 'boolean':
    case 'object':
    case 'array':
      return property.type;
    default:
      return 'custom';
  }
}

function fieldFromProperty(name: string, property: JsonSchema, schema: JsonSchema, xrm: XrmAnnotations): FieldModel {
  const lookup = xrm.lookups?.[name];
  const kind = kindOf(property, !!lookup);
  const modeled = MODELED_KEYS[kind];
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(property)) if (!modeled.includes(key)) extra[key] = value;
  const has = (key: string) => modeled.includes(key) && property[key] !== undefined;
  return {
    name,
    kind,
    label: property.title ?? '',
    description: property.description ?? '',
    format: kind === 'text' ? (property.format ?? '') : '',
    enumValues: kind === 'choice' ? property.enum!.map(String) : [],
    min: has('minimum') ? property.minimum! : has('minLength') ? property.minLength! : null,
    max: has('maximum') ? property.maximum! : has('maxLength') ? property.maxLength! : null,
    defaultValue: property.default,
    required: schema.required?.includes(name) ?? false,
    indexed: xrm.indexed?.includes(name) ?? false,
    unique: xrm.unique?.includes(name) ?? false,
    lookupTarget: lookup?.target ?? '',
    onDelete: lookup?.on_delete ?? null,
    extra,
  };
}

/** Reads a schema document into the designer's model; nothing the model cannot show is lost. */
export function schemaToModel(schema: JsonSchema): TypeModel {
  const xrm = schema['x-xrm'] ?? ({ name: '', display_name: '', title_field: '' } as XrmAnnotations);
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  const { properties: _p, required: _r, description, 'x-xrm': _x, ...rootExtra } = schema;
  return {
    name: xrm.name,
    displayName: xrm.display_name,
    pluralName: xrm.plural_name ?? '',
    description: typeof description === 'string' ? description : '',
    titleField: xrm.title_field,
    search: xrm.search ?? [],
    fields: names.map((name) => fieldFromProperty(name, properties[name], schema, xrm)),
    stateMachine: xrm.state_machine ?? null,
    otherIndexed: (xrm.indexed ?? []).filter((path) => !names.includes(path)),
    otherUnique: (xrm.unique ?? []).filter((key) => typeof key !== 'string' || !names.includes(key)),
    rootExtra,
  };
}

function propertyFromField(field: FieldModel): JsonSchema {
  const property: JsonSchema = {};
  switch (field.kind) {
    case 'text':
      property.type = 'string';
      if (field.format) property.format = field.format;
      break;
    case 'choice':
      property.type = 'string';
      property.enum = [...field.enumValues];
      break;
    case 'lookup':
      property.type = 'string';
      property.format = 'uuid';
      break;
    case 'custom':
      break;
    default:
      property.type = field.kind;
  }
  if (field.label) property.title = field.label;
  if (field.description) property.description = field.description;
  const isNumber = field.kind === 'number' || field.kind === 'integer';
  const isText = field.kind === 'text';
  if (field.min !== null && isNumber) property.minimum = field.min;
  if (field.max !== null && isNumber) property.maximum = field.max;
  if (field.min !== null && isText) property.minLength = field.min;
  if (field.max !== null && isText) property.maxLength = field.max;
  if (field.defaultValue !== undefined) property.default = field.defaultValue;
  return { ...property, ...field.extra };
}

/** Writes the model as a schema document with `x-xrm` annotations. */
export function modelToSchema(model: TypeModel): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const field of model.fields) properties[field.name] = propertyFromField(field);
  const xrm: XrmAnnotations = {
    name: model.name,
    display_name: model.displayName,
    title_field: model.titleField,
  };
  if (model.pluralName) xrm.plural_name = model.pluralName;
  const indexed = [...model.fields.filter((f) => f.indexed).map((f) => f.name), ...model.otherIndexed];
  if (indexed.length) xrm.indexed = indexed;
  const unique = [...model.fields.filter((f) => f.unique).map((f) => f.name), ...model.otherUnique];
  if (unique.length) xrm.unique = unique;
  const search = model.search.filter((name) => model.fields.some((f) => f.name === name));
  if (search.length) xrm.search = search;
  const lookupFields = model.fields.filter((f) => f.kind === 'lookup');
  if (lookupFields.length) {
    xrm.lookups = Object.fromEntries(
      lookupFields.map((f) => [f.name, f.onDelete ? { target: f.lookupTarget, on_delete: f.onDelete } : { target: f.lookupTarget }]),
    );
  }
  if (model.stateMachine) xrm.state_machine = model.stateMachine;
  const schema: JsonSchema = { ...model.rootExtra };
  if (model.description) schema.description = model.description;
  const required = model.fields.filter((f) => f.required).map((f) => f.name);
  if (required.length) schema.required = required;
  schema.properties = properties;
  schema['x-xrm'] = xrm;
  return schema;
}

/**
 * What the model says that the host would refuse, by field name ('' for the type): checked as the
 * admin types, so the server's answer is rarely needed.
 */
export function modelProblems(model: TypeModel): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  const add = (key: string, message: string) => problems.set(key, [...(problems.get(key) ?? []), message]);
  if (!TYPE_NAME_PATTERN.test(model.name)) add('', 'the type name must be 1–48 lowercase letters, digits or _, starting with a letter');
  if (!model.displayName.trim()) add('', 'the display name is required');
  const seen = new Set<string>();
  for (const field of model.fields) {
    const key = field.name;
    if (!FIELD_NAME_PATTERN.test(field.name)) add(key, 'a field name is 1–63 letters, digits or _, starting with a letter');
    if ((SYSTEM_FIELDS as readonly string[]).includes(field.name)) add(key, `'${field.name}' is a system field maintained by the host`);
    if (seen.has(field.name)) add(key, `there is another field named '${field.name}'`);
    seen.add(field.name);
    if (field.kind === 'choice' && field.enumValues.length === 0) add(key, 'a choice needs at least one value');
    if (field.kind === 'choice' && new Set(field.enumValues).size !== field.enumValues.length) add(key, 'the choice values repeat');
    if (field.kind === 'lookup' && !field.lookupTarget) add(key, 'a lookup needs a target type');
    if (field.kind === 'lookup' && field.onDelete === 'set_null' && field.required) add(key, 'a set_null lookup may not be required');
    if (field.min !== null && field.max !== null && field.min > field.max) add(key, 'the minimum is above the maximum');
  }
  const title = model.fields.find((f) => f.name === model.titleField);
  if (!title) add('', 'choose a title field');
  else if (title.kind !== 'text' && title.kind !== 'choice') add('', 'the title field must be a text field');
  if (model.stateMachine) {
    const stateField = model.fields.find((f) => f.name === model.stateMachine!.field);
    if (!stateField || stateField.kind !== 'choice') add('', 'the state machine needs a choice field');
  }
  return problems;
}

/** Renames a field everywhere the model refers to it. */
export function renameField(model: TypeModel, index: number, name: string): TypeModel {
  const old = model.fields[index].name;
  const rename = (n: string) => (n === old ? name : n);
  return {
    ...model,
    fields: model.fields.map((f, i) => (i === index ? { ...f, name } : f)),
    titleField: rename(model.titleField),
    search: model.search.map(rename),
    stateMachine: model.stateMachine ? { ...model.stateMachine, field: rename(model.stateMachine.field) } : null,
  };
}

/** A state machine over a choice field's values, every move allowed until the admin narrows it. */
export function defaultStateMachine(field: FieldModel): StateMachine {
  return {
    field: field.name,
    transitions: Object.fromEntries(field.enumValues.map((v) => [v, field.enumValues.filter((w) => w !== v)])),
  };
}

/** Keeps a state machine in step with its field's values: dropped states disappear, new ones move nowhere yet. */
export function syncStateMachine(machine: StateMachine, states: string[]): StateMachine {
  const transitions: Record<string, string[]> = {};
  for (const state of states) transitions[state] = (machine.transitions[state] ?? []).filter((s) => states.includes(s));
  const synced: StateMachine = { field: machine.field, transitions };
  if (machine.initial) synced.initial = machine.initial.filter((s) => states.includes(s));
  return synced;
}
