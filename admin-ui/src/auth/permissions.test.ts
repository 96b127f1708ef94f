import { describe, expect, it } from 'vitest';
import { canCreate, canOnRecord, canReadAudit, canRunReports, fieldAccess, isAdmin, typePermissions, type Permissions } from './permissions';

const member: Permissions = {
  admin: false,
  audit: false,
  reports: true,
  types: {
    '*': { create: true, read: 'workspace', update: 'team', delete: 'own', actions: 'team' },
    customer: { delete: 'none', fields: { lifetime_value: 'hidden', tax_id: 'read_only' } },
  },
};
const viewer: Permissions = { reports: true, types: { '*': { read: 'workspace' } } };
const me = { id: 'u1', teams: ['t1'] };

describe('typePermissions', () => {
  it('takes a type entry over * key by key', () => {
    expect(typePermissions(member, 'customer')).toEqual({
      create: true,
      read: 'workspace',
      update: 'team',
      delete: 'none',
      actions: 'team',
      fields: { lifetime_value: 'hidden', tax_id: 'read_only' },
    });
    expect(typePermissions(member, 'contract').delete).toBe('own');
  });

  it('refuses what nothing allows', () => {
    expect(typePermissions(viewer, 'customer')).toEqual({ create: false, read: 'workspace', update: 'none', delete: 'none', actions: 'none', fields: {} });
    expect(typePermissions(undefined, 'customer').read).toBe('none');
    expect(typePermissions({ types: { '*': { read: 'bogus' as never } } }, 'x').read).toBe('none');
  });

  it('gives an admin everything', () => {
    expect(typePermissions({ admin: true }, 'anything')).toMatchObject({ create: true, update: 'workspace', delete: 'workspace' });
  });
});

describe('canCreate and canOnRecord', () => {
  it('hides create and change from a viewer', () => {
    expect(canCreate(viewer, 'customer')).toBe(false);
    expect(canOnRecord(viewer, 'update', 'customer', me)).toBe(false);
    expect(canOnRecord(viewer, 'read', 'customer', me, { owned_by: 'u2' })).toBe(true);
  });

  it('checks own against the owner', () => {
    expect(canOnRecord(member, 'delete', 'contract', me, { owned_by: 'u1' })).toBe(true);
    expect(canOnRecord(member, 'delete', 'contract', me, { owned_by: 'u2' })).toBe(false);
    expect(canOnRecord(member, 'delete', 'contract', me, { owned_by: null })).toBe(false);
    expect(canOnRecord(member, 'delete', 'customer', me, { owned_by: 'u1' })).toBe(false);
  });

  it('allows team scope for the team and leaves teammates to the host', () => {
    expect(canOnRecord(member, 'update', 'contract', me, { owned_by: null, owning_team: 't1' })).toBe(true);
    expect(canOnRecord(member, 'update', 'contract', me, { owned_by: 'u9' })).toBe(true);
    expect(canOnRecord(member, 'update', 'contract', me, { owned_by: null, owning_team: 't2' })).toBe(false);
  });

  it('answers for any record without one', () => {
    expect(canOnRecord(member, 'delete', 'contract')).toBe(true);
  });
});

describe('fields and switches', () => {
  it('reads field restrictions', () => {
    expect(fieldAccess(member, 'customer', 'tax_id')).toBe('read_only');
    expect(fieldAccess(member, 'customer', 'name')).toBeNull();
    expect(fieldAccess(member, 'contract', 'tax_id')).toBeNull();
  });

  it('reads the admin, audit and reports switches', () => {
    expect(isAdmin(member)).toBe(false);
    expect(isAdmin({ admin: true })).toBe(true);
    expect(canReadAudit({ audit: true })).toBe(true);
    expect(canReadAudit({ admin: true })).toBe(true);
    expect(canReadAudit(viewer)).toBe(false);
    expect(canRunReports(viewer)).toBe(true);
    expect(canRunReports({})).toBe(false);
  });
});
