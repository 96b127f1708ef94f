import { describe, expect, it } from 'vitest';
import { restrictForm, writableData, type RecordForm } from './recordForm';

const form = (): RecordForm => ({
  schema: {
    type: 'object',
    required: ['name', 'tax_id', 'lifetime_value'],
    properties: { name: { type: 'string' }, tax_id: { type: 'string', default: 'n/a' }, lifetime_value: { type: 'number' } },
  },
  uiSchema: { 'ui:order': ['name', 'lifetime_value', '*'], lifetime_value: { 'ui:widget': 'updown' } },
});

describe('restrictForm', () => {
  it('leaves the form alone without restrictions', () => {
    const f = form();
    expect(restrictForm(f, {}, { kind: 'create' })).toBe(f);
  });

  it('drops hidden fields from properties, required and order', () => {
    const restricted = restrictForm(form(), { lifetime_value: 'hidden' }, { kind: 'edit' });
    expect(Object.keys(restricted.schema.properties!)).toEqual(['name', 'tax_id']);
    expect(restricted.schema.required).toEqual(['name', 'tax_id']);
    expect(restricted.uiSchema['ui:order']).toEqual(['name', '*']);
    expect(restricted.uiSchema.lifetime_value).toBeUndefined();
  });

  it('makes read-only fields read-only, without a default on create', () => {
    const created = restrictForm(form(), { tax_id: 'read_only' }, { kind: 'create' });
    expect(created.uiSchema.tax_id).toEqual({ 'ui:readonly': true });
    expect(created.schema.properties!.tax_id.default).toBeUndefined();
    const edited = restrictForm(form(), { tax_id: 'read_only' }, { kind: 'edit' });
    expect(edited.schema.properties!.tax_id.default).toBe('n/a');
  });

  it('does not change the form it was given', () => {
    const f = form();
    restrictForm(f, { lifetime_value: 'hidden' }, { kind: 'edit' });
    expect(f.schema.properties!.lifetime_value).toBeDefined();
  });
});

describe('writableData', () => {
  it('leaves out what the role may not write', () => {
    expect(writableData({ name: 'A', tax_id: 'x', lifetime_value: 3 }, { tax_id: 'read_only', lifetime_value: 'hidden' })).toEqual({ name: 'A' });
    expect(writableData({ name: 'A' }, {})).toEqual({ name: 'A' });
  });
});
