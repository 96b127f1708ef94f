import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../api/types';
import { defaultStateMachine, modelProblems, modelToSchema, newField, newType, renameField, schemaToModel, syncStateMachine } from './typeModel';

const schemasDir = join(__dirname, '../../../entity-schemas');
const shipped = readdirSync(schemasDir).filter((f) => f.endsWith('.json'));

/** Sets compare as sets: the order of `required`, `indexed`, `unique` and `search` means nothing. */
function normalized(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema);
  copy.required?.sort();
  const xrm = copy['x-xrm']!;
  xrm.indexed?.sort();
  xrm.search?.sort();
  xrm.unique?.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return copy;
}

describe('designer model ↔ JSON Schema', () => {
  it.each(shipped)('round-trips the shipped %s without losing anything', (file) => {
    const schema = JSON.parse(readFileSync(join(schemasDir, file), 'utf8')) as JsonSchema;
    expect(normalized(modelToSchema(schemaToModel(schema)))).toEqual(normalized(schema));
  });

  it('reads fields into kinds the editor shows', () => {
    const schema = JSON.parse(readFileSync(join(schemasDir, 'contract.json'), 'utf8')) as JsonSchema;
    const model = schemaToModel(schema);
    const field = (name: string) => model.fields.find((f) => f.name === name)!;
    expect(field('customer_id')).toMatchObject({ kind: 'lookup', lookupTarget: 'customer', onDelete: 'restrict', required: true });
    expect(field('status')).toMatchObject({ kind: 'choice', indexed: true });
    expect(field('status').enumValues).toContain('expiring');
    expect(field('contract_number')).toMatchObject({ kind: 'text', unique: true, extra: { pattern: '^CTR-[0-9]{4}-[0-9]{4}$' } });
    expect(field('notice_period_days')).toMatchObject({ kind: 'integer', min: 0, max: 365 });
    expect(field('start_date')).toMatchObject({ kind: 'text', format: 'date' });
    expect(field('currency').defaultValue).toBe('EUR');
    expect(model.stateMachine?.field).toBe('status');
  });

  it('writes a new type with annotations for every field setting', () => {
    const model = newType();
    model.name = 'parking_violation';
    model.displayName = 'Parking violation';
    model.rootExtra.title = 'Parking violation';
    model.titleField = 'name';
    model.fields.push(
      { ...newField('fine'), kind: 'number', min: 0, max: 1000, required: true, indexed: true },
      { ...newField('status'), kind: 'choice', enumValues: ['issued', 'paid'], defaultValue: 'issued' },
      { ...newField('owner_id'), kind: 'lookup', lookupTarget: 'contact', onDelete: 'set_null' },
      { ...newField('ticket'), kind: 'text', unique: true, extra: { pattern: '^PV-' } },
    );
    model.stateMachine = { field: 'status', initial: ['issued'], transitions: { issued: ['paid'], paid: [] } };
    const schema = modelToSchema(model);
    expect(schema.required).toEqual(['name', 'fine']);
    expect(schema.properties).toEqual({
      name: { type: 'string', title: 'Name', maxLength: 200 },
      fine: { type: 'number', minimum: 0, maximum: 1000 },
      status: { type: 'string', enum: ['issued', 'paid'], default: 'issued' },
      owner_id: { type: 'string', format: 'uuid' },
      ticket: { type: 'string', pattern: '^PV-' },
    });
    expect(schema['x-xrm']).toEqual({
      name: 'parking_violation',
      display_name: 'Parking violation',
      title_field: 'name',
      indexed: ['fine'],
      unique: ['ticket'],
      lookups: { owner_id: { target: 'contact', on_delete: 'set_null' } },
      state_machine: { field: 'status', initial: ['issued'], transitions: { issued: ['paid'], paid: [] } },
    });
    expect(modelProblems(model).size).toBe(0);
  });

  it('reports what the host would refuse, by field', () => {
    const model = newType();
    model.fields.push({ ...newField('version') }, { ...newField('state'), kind: 'choice' }, { ...newField('x'), kind: 'lookup' });
    const problems = modelProblems(model);
    expect(problems.get('')).toContain('the type name must be 1–48 lowercase letters, digits or _, starting with a letter');
    expect(problems.get('version')).toEqual(["'version' is a system field maintained by the host"]);
    expect(problems.get('state')).toEqual(['a choice needs at least one value']);
    expect(problems.get('x')).toEqual(['a lookup needs a target type']);
  });

  it('renames a field in the title, search and state machine too', () => {
    const model = { ...newType(), search: ['name'], stateMachine: { field: 'name', transitions: {} } };
    const renamed = renameField(model, 0, 'title');
    expect(renamed.titleField).toBe('title');
    expect(renamed.search).toEqual(['title']);
    expect(renamed.stateMachine?.field).toBe('title');
  });

  it('keeps a state machine in step with its values', () => {
    const field = { ...newField('status'), kind: 'choice' as const, enumValues: ['open', 'closed'] };
    const machine = defaultStateMachine(field);
    expect(machine.transitions).toEqual({ open: ['closed'], closed: ['open'] });
    expect(syncStateMachine({ ...machine, initial: ['open'] }, ['open', 'done'])).toEqual({
      field: 'status',
      initial: ['open'],
      transitions: { open: [], done: [] },
    });
  });
});
