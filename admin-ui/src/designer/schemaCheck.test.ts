import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSchemaText } from './schemaCheck';

const contract = readFileSync(join(__dirname, '../../../entity-schemas/contract.json'), 'utf8');

describe('live checks of the raw schema editor', () => {
  it('finds nothing wrong with a shipped type', () => {
    expect(checkSchemaText(contract)).toEqual([]);
  });

  it('points at JSON syntax errors', () => {
    const diagnostics = checkSchemaText('{"type": "object",}');
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0].message).toMatch(/^JSON: /);
  });

  it('places meta-schema errors on the offending keyword', () => {
    const text = contract.replace('"minLength": 1,', '"minLength": "one",');
    const [diagnostic] = checkSchemaText(text);
    expect(diagnostic.message).toContain('/properties/title/minLength');
    expect(text.slice(diagnostic.from, diagnostic.to)).toBe('"minLength"');
  });

  it('checks x-xrm: unknown keys and a missing title field', () => {
    const schema = JSON.parse(contract);
    schema['x-xrm'].indexes = ['status'];
    schema['x-xrm'].title_field = 'nme';
    const text = JSON.stringify(schema, null, 2);
    const messages = checkSchemaText(text).map((d) => d.message);
    expect(messages).toContain("unknown x-xrm key 'indexes'; known keys are name, display_name, plural_name, title_field, indexed, unique, search, lookups, state_machine");
    expect(messages).toContain('choose a title field');
  });
});
