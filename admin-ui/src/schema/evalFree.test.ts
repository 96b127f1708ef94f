import { describe, expect, it } from 'vitest';
import { atPointer, validate, validateSchemaDocument } from './evalFree';

const schema = {
  type: 'object',
  required: ['name', 'age'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 2, title: 'Name' },
    age: { type: 'integer', minimum: 0 },
    email: { type: 'string', format: 'email' },
    tier: { enum: ['a', 'b'] },
    nested: { type: 'object', properties: { x: { type: 'number', maximum: 3 } } },
    tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' } },
  },
};

describe('validate', () => {
  it('answers nothing for valid data', () => {
    expect(validate(schema, { name: 'Ada', age: 3 })).toEqual([]);
  });

  it('reports every failure the way Ajv does, without the summaries', () => {
    const errors = validate(schema, { name: 'x', email: 'nope', tier: 'c', nested: { x: 5 }, tags: ['A'], extra: 1 });
    expect(errors.map((e) => [e.instancePath, e.keyword, e.message])).toEqual([
      ['', 'required', "must have required property 'age'"],
      ['/name', 'minLength', 'must NOT have fewer than 2 characters'],
      ['/email', 'format', 'must match format "email"'],
      ['/tier', 'enum', 'must be equal to one of the allowed values'],
      ['/nested/x', 'maximum', 'must be <= 3'],
      ['/tags/0', 'pattern', 'must match pattern "^[a-z]+$"'],
      ['', 'additionalProperties', 'must NOT have additional properties'],
    ]);
    const required = errors[0];
    expect(required.params).toEqual({ missingProperty: 'age' });
    expect(required.schemaPath).toBe('#/required');
    expect(errors[1].parentSchema).toEqual(schema.properties.name);
    expect(errors[2].params).toEqual({ format: 'email' });
  });

  it('resolves $ref into the root schema', () => {
    const root = { $defs: { code: { type: 'string', maxLength: 3 } }, type: 'object', properties: { code: { $ref: '#/$defs/code' } } };
    expect(validate(root, { code: 'abcd' }).map((e) => e.keyword)).toEqual(['maxLength']);
  });
});

describe('atPointer', () => {
  it('reads JSON pointers with escapes', () => {
    expect(atPointer({ 'a/b': { c: 1 } }, '#/a~1b/c')).toBe(1);
    expect(atPointer({ a: 1 }, '#')).toEqual({ a: 1 });
    expect(atPointer({ a: 1 }, '#/a/b')).toBeUndefined();
  });
});

describe('validateSchemaDocument', () => {
  it('accepts a schema and names what breaks the meta-schema', () => {
    expect(validateSchemaDocument(schema)).toEqual([]);
    const errors = validateSchemaDocument({ type: 'object', properties: { a: { minLength: 'one' } } });
    expect(errors.map((e) => e.instancePath)).toContain('/properties/a/minLength');
  });
});
