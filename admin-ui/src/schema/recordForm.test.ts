import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EntityType, JsonSchema } from '../api/types';
import { columnFields, defaultColumns } from './entity';
import { withLabels } from './labels';
import { recordForm } from './recordForm';

function shipped(name: string): EntityType {
  const schema = JSON.parse(readFileSync(join(__dirname, `../../../entity-schemas/${name}.json`), 'utf8')) as JsonSchema;
  return { name, version: 1, display_name: name, plural_name: name, created_at: '', updated_at: '', schema };
}

describe('record forms from entity types', () => {
  const contract = shipped('contract');

  it('drops $schema and x-xrm and uses the lookup picker for lookups', () => {
    const { schema, uiSchema } = recordForm(contract, { kind: 'create' });
    expect(schema.$schema).toBeUndefined();
    expect(schema['x-xrm']).toBeUndefined();
    expect(uiSchema.customer_id).toEqual({ 'ui:widget': 'lookup', 'ui:options': { target: 'customer' } });
    expect(uiSchema.notes).toEqual({ 'ui:widget': 'textarea', 'ui:options': { rows: 4 } });
    expect(uiSchema['ui:order']).toEqual(['title', '*']);
  });

  it('labels fields without a title, nested ones and array items too, keeping the uiSchema', () => {
    const form = recordForm(shipped('customer'), { kind: 'create' });
    const ui = withLabels(form.schema, form.uiSchema);
    expect(ui.account_number['ui:title']).toBe('Account number');
    expect(ui.billing_address.postal_code['ui:title']).toBe('Postal code');
    expect(ui.parent_customer_id).toEqual({ 'ui:widget': 'lookup', 'ui:options': { target: 'customer' }, 'ui:title': 'Parent customer' });
    const lines = withLabels(recordForm(shipped('opportunity'), { kind: 'create' }).schema);
    expect(Object.values(lines.lines.items).every((item) => typeof (item as Record<string, unknown>)['ui:title'] === 'string')).toBe(true);
    expect(withLabels({ type: 'object', properties: { a: { type: 'string', title: 'Own' } } }).a).toEqual({});
  });

  it('offers only the states the state machine allows', () => {
    const edit = recordForm(contract, { kind: 'edit', currentState: 'active' });
    expect(edit.schema.properties!.status.enum).toEqual(['active', 'expiring', 'renewed', 'terminated']);
    const final = recordForm(contract, { kind: 'edit', currentState: 'expired' });
    expect(final.schema.properties!.status.enum).toEqual(['expired']);
    expect(recordForm(contract, { kind: 'create' }).schema.properties!.status.enum).toHaveLength(6);
  });

  it('does not change the type it was given', () => {
    recordForm(contract, { kind: 'edit', currentState: 'expired' });
    expect(contract.schema.properties!.status.enum).toHaveLength(6);
  });

  it('lists nested fields as columns and picks sensible defaults', () => {
    const customer = shipped('customer');
    const fields = columnFields(customer.schema);
    expect(fields.find((f) => f.path === 'billing_address/city')).toMatchObject({ type: 'text', label: 'Billing address › City' });
    expect(fields.find((f) => f.path === 'status')?.type).toBe('enum');
    const columns = defaultColumns(customer.schema, fields);
    expect(columns[0]).toBe('name');
    expect(columns).toContain('updated_at');
  });
});
