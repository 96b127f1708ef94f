import { describe, expect, it } from 'vitest';
import type { Permissions } from '../auth/permissions';
import { effective, emptyRow, fromPermissions, INHERIT, newRoleModel, roleProblems, toPermissions } from './roleModel';

const member: Permissions = {
  admin: false,
  audit: false,
  reports: true,
  types: {
    '*': { create: true, read: 'workspace', update: 'team', delete: 'own', actions: 'team' },
    customer: { delete: 'none', fields: { lifetime_value: 'hidden', tax_id: 'read_only' } },
  },
};

describe('fromPermissions / toPermissions', () => {
  it('round-trips the documented example exactly', () => {
    expect(toPermissions(fromPermissions(member))).toEqual(member);
  });

  it('reads a type row with inherited keys and field rules', () => {
    const model = fromPermissions(member);
    expect(model.rows.map((r) => r.type)).toEqual(['*', 'customer']);
    expect(model.rows[1]).toEqual({
      type: 'customer',
      create: INHERIT,
      read: INHERIT,
      update: INHERIT,
      delete: 'none',
      actions: INHERIT,
      fields: [
        { field: 'lifetime_value', access: 'hidden' },
        { field: 'tax_id', access: 'read_only' },
      ],
    });
  });

  it('keeps keys it does not know', () => {
    const doc = { ...member, future_switch: true } as Permissions;
    expect(toPermissions(fromPermissions(doc))).toEqual(doc);
  });

  it('reads an empty or partial document as switches off and a * row that inherits', () => {
    const model = fromPermissions({ reports: true });
    expect(model).toMatchObject({ admin: false, audit: false, reports: true });
    expect(model.rows).toEqual([emptyRow('*')]);
    expect(toPermissions(model)).toEqual({ admin: false, audit: false, reports: true, types: { '*': {} } });
  });

  it('drops unknown scopes and field access values', () => {
    const model = fromPermissions({ types: { '*': { read: 'galaxy' as never, fields: { a: 'secret' as never } } } });
    expect(model.rows[0].read).toBe(INHERIT);
    expect(model.rows[0].fields).toEqual([]);
  });

  it('writes a new role as one that may do nothing', () => {
    expect(toPermissions(newRoleModel())).toEqual({
      admin: false,
      audit: false,
      reports: false,
      types: { '*': { create: false, read: 'none', update: 'none', delete: 'none', actions: 'none' } },
    });
  });
});

describe('roleProblems and effective', () => {
  it('names duplicate and empty rows and fields', () => {
    const model = fromPermissions(member);
    model.rows.push(emptyRow('customer'), emptyRow(' '));
    model.rows[1].fields.push({ field: 'tax_id', access: 'hidden' }, { field: '', access: 'hidden' });
    expect(roleProblems(model)).toEqual([
      'customer: tax_id is restricted twice',
      'customer: a field restriction names no field',
      'customer has two rows',
      'row 4 names no entity type',
    ]);
    expect(roleProblems(fromPermissions(member))).toEqual([]);
  });

  it('shows what an inherited key amounts to', () => {
    const model = fromPermissions(member);
    expect(effective(model, model.rows[1], 'read')).toBe('workspace');
    expect(effective(model, model.rows[1], 'delete')).toBe('none');
    expect(effective(model, model.rows[1], 'create')).toBe(true);
    const bare = fromPermissions({ types: { x: {} } });
    expect(effective(bare, bare.rows[1], 'update')).toBe('none');
  });
});
