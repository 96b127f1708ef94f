import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EntityType, JsonSchema } from '../api/types';
import { columnFields } from '../schema/entity';
import { ChoiceFilter } from './ChoiceFilter';
import { columnDefs } from './columns';

function shipped(name: string): EntityType {
  const schema = JSON.parse(readFileSync(join(__dirname, `../../../entity-schemas/${name}.json`), 'utf8')) as JsonSchema;
  return { name, version: 1, display_name: name, plural_name: name, created_at: '', updated_at: '', schema };
}

describe('grid columns from an entity type', () => {
  const contract = shipped('contract');
  const customer = shipped('customer');
  const defs = columnDefs(contract, columnFields(contract.schema), ['title', 'status'], [contract, customer]);
  const def = (id: string) => defs.find((d) => d.colId === id)!;

  it('picks a server-side filter by field type', () => {
    expect(def('status').filter).toBe(ChoiceFilter);
    expect(def('status').filterParams).toEqual({ values: ['draft', 'active', 'expiring', 'expired', 'renewed', 'terminated'] });
    expect(def('auto_renew').filterParams).toEqual({ values: [true, false] });
    expect(def('value').filter).toBe('agNumberColumnFilter');
    expect(def('end_date').filter).toBe('agDateColumnFilter');
    expect(def('contract_number').filter).toBe('agTextColumnFilter');
    expect(def('customer_id').filterParams.filterOptions).toEqual(['blank', 'notBlank']);
  });

  it('shows the chosen columns, links the title and lookups, right-aligns numbers', () => {
    expect(defs.filter((d) => !d.hide).map((d) => d.colId)).toEqual(['title', 'status']);
    expect(def('title').cellRenderer).toBeTypeOf('function');
    expect(def('customer_id').cellRendererParams.targetType).toBe(customer);
    expect(def('value').type).toBe('rightAligned');
    expect(def('updated_at').headerName).toBe('Updated at');
  });
});
