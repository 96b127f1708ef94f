// JSON Schema validation without generating code. The host's Content-Security-Policy forbids
// `eval` in the admin UI (script-src 'self'), and Ajv compiles every schema with `new Function`,
// so validation runs on @cfworker/json-schema, an interpreter, and its results are turned into
// Ajv's error objects: rjsf's error handling, `friendlyErrors` and the designer's checks read
// those.
import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import type { ErrorObject } from 'ajv';
import core from 'ajv/dist/refs/json-schema-2020-12/meta/core.json';
import applicator from 'ajv/dist/refs/json-schema-2020-12/meta/applicator.json';
import unevaluated from 'ajv/dist/refs/json-schema-2020-12/meta/unevaluated.json';
import validation from 'ajv/dist/refs/json-schema-2020-12/meta/validation.json';
import metaData from 'ajv/dist/refs/json-schema-2020-12/meta/meta-data.json';
import formatAnnotation from 'ajv/dist/refs/json-schema-2020-12/meta/format-annotation.json';
import content from 'ajv/dist/refs/json-schema-2020-12/meta/content.json';
import metaSchema from 'ajv/dist/refs/json-schema-2020-12/schema.json';

/** Keywords whose failure only says that a sub-schema failed; the sub-schema's own error follows. */
const SUMMARIES = new Set([
  'properties',
  'items',
  'prefixItems',
  'additionalItems',
  'patternProperties',
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  'allOf',
  'dependentSchemas',
  'if',
  'then',
  'else',
  'false',
  'contains',
  'propertyNames',
]);

function unescape(segment: string): string {
  return decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The value at a `#/a/b` pointer of `root`, or undefined. */
export function atPointer(root: unknown, pointer: string): unknown {
  const path = pointer.replace(/^#/, '');
  if (!path) return root;
  let value: unknown = root;
  for (const segment of path.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[unescape(segment)];
  }
  return value;
}

const quoted = (text: string) => /"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];

/** One of the validator's results as Ajv would have reported it; null for a summary. */
export function toAjvError(unit: OutputUnit, rootSchema: unknown): ErrorObject | null {
  if (SUMMARIES.has(unit.keyword)) return null;
  const instancePath = unit.instanceLocation.replace(/^#/, '');
  const schemaPath = unit.keywordLocation;
  const value = atPointer(rootSchema, schemaPath);
  const parentSchema = atPointer(rootSchema, schemaPath.slice(0, schemaPath.lastIndexOf('/'))) as ErrorObject['parentSchema'];
  const base = { instancePath, schemaPath, keyword: unit.keyword, parentSchema, schema: value };
  const make = (params: Record<string, unknown>, message: string): ErrorObject => ({ ...base, params, message });
  switch (unit.keyword) {
    case 'required': {
      const missingProperty = quoted(unit.error) ?? '';
      return make({ missingProperty }, `must have required property '${missingProperty}'`);
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const property = quoted(unit.error) ?? '';
      return make({ additionalProperty: property, unevaluatedProperty: property }, `must NOT have ${unit.keyword === 'additionalProperties' ? 'additional' : 'unevaluated'} properties`);
    }
    case 'type':
      return make({ type: value }, `must be ${Array.isArray(value) ? value.join(',') : String(value ?? 'of the right type')}`);
    case 'format':
      return make({ format: value }, `must match format "${String(value)}"`);
    case 'pattern':
      return make({ pattern: value }, `must match pattern "${String(value)}"`);
    case 'minLength':
      return make({ limit: value }, `must NOT have fewer than ${String(value)} characters`);
    case 'maxLength':
      return make({ limit: value }, `must NOT have more than ${String(value)} characters`);
    case 'minimum':
      return make({ comparison: '>=', limit: value }, `must be >= ${String(value)}`);
    case 'maximum':
      return make({ comparison: '<=', limit: value }, `must be <= ${String(value)}`);
    case 'exclusiveMinimum':
      return make({ comparison: '>', limit: value }, `must be > ${String(value)}`);
    case 'exclusiveMaximum':
      return make({ comparison: '<', limit: value }, `must be < ${String(value)}`);
    case 'minItems':
      return make({ limit: value }, `must NOT have fewer than ${String(value)} items`);
    case 'maxItems':
      return make({ limit: value }, `must NOT have more than ${String(value)} items`);
    case 'minProperties':
      return make({ limit: value }, `must NOT have fewer than ${String(value)} properties`);
    case 'maxProperties':
      return make({ limit: value }, `must NOT have more than ${String(value)} properties`);
    case 'multipleOf':
      return make({ multipleOf: value }, `must be multiple of ${String(value)}`);
    case 'uniqueItems':
      return make({}, 'must NOT have duplicate items');
    case 'enum':
      return make({ allowedValues: value }, 'must be equal to one of the allowed values');
    case 'const':
      return make({ allowedValue: value }, 'must be equal to constant');
    case 'anyOf':
      return make({}, 'must match a schema in anyOf');
    case 'oneOf':
      return make({}, 'must match exactly one schema in oneOf');
    case 'not':
      return make({}, 'must NOT be valid');
    case 'dependentRequired': {
      const property = quoted(unit.error) ?? '';
      return make({ property, missingProperty: property, deps: property, depsCount: 1 }, unit.error);
    }
    default:
      return make({}, unit.error.replace(/\.$/, ''));
  }
}

/** Validates `data` against `schema` (2020-12; `$ref`s into `rootSchema` resolve) as Ajv errors. */
export function validate(schema: object, data: unknown, rootSchema: object = schema): ErrorObject[] {
  const validator = new Validator(schema as Schema, '2020-12', false);
  if (rootSchema !== schema) validator.addSchema(rootSchema as Schema);
  const result = validator.validate(data);
  if (result.valid) return [];
  return result.errors.map((unit) => toAjvError(unit, schema)).filter((e): e is ErrorObject => e !== null);
}

let metaValidator: Validator | null = null;

const META_ID = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The interpreter does not follow the meta-schema's `$dynamicRef: "#meta"` below the top level;
 * the UI never extends the meta-schema, so a plain `$ref` to it means the same.
 */
function staticMeta(document: unknown): Schema {
  return JSON.parse(JSON.stringify(document).replaceAll('"$dynamicRef":"#meta"', `"$ref":"${META_ID}"`)) as Schema;
}

/** Checks a schema document against the draft 2020-12 meta-schema, as Ajv errors. */
export function validateSchemaDocument(document: unknown): ErrorObject[] {
  if (!metaValidator) {
    metaValidator = new Validator(staticMeta(metaSchema), '2020-12', false);
    for (const vocabulary of [core, applicator, unevaluated, validation, metaData, formatAnnotation, content]) {
      metaValidator.addSchema(staticMeta(vocabulary));
    }
  }
  const result = metaValidator.validate(document);
  if (result.valid) return [];
  // The meta-schema is reached through $dynamicRef, so its keyword locations do not resolve to
  // values; the interpreter's own message says what is wrong.
  return result.errors
    .filter((unit) => !SUMMARIES.has(unit.keyword) && unit.keyword !== 'additionalProperties')
    .map((unit) => ({
      instancePath: unit.instanceLocation.replace(/^#/, ''),
      schemaPath: unit.keywordLocation,
      keyword: unit.keyword,
      params: {},
      message: unit.error.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()),
    }));
}
