import { describe, expect, it } from 'vitest';
import type { Session } from '../api/types';
import { accessOf } from './session';

const session = (overrides: Partial<Session['user']>, permissions: Session['permissions']): Session => ({
  user: { id: 'u1', email: 'rep@demo.xrm', display_name: 'Rep', role: 'member', instance_admin: false, teams: ['t1'], ...overrides },
  workspace: { id: 'default', name: 'Default workspace' },
  csrf_token: 'c',
  expires_at: '2030-01-01T00:00:00Z',
  permissions,
});

describe('accessOf', () => {
  it('binds the rules to the signed-in user', () => {
    const access = accessOf(
      session({}, { reports: true, types: { '*': { create: true, read: 'workspace', update: 'own', delete: 'none' }, customer: { fields: { tax_id: 'read_only' } } } }),
    );
    expect(access).toMatchObject({ admin: false, audit: false, reports: true, instanceAdmin: false });
    expect(access.canCreate('customer')).toBe(true);
    expect(access.can('update', 'customer', { owned_by: 'u1' })).toBe(true);
    expect(access.can('update', 'customer', { owned_by: 'u2' })).toBe(false);
    expect(access.can('delete', 'customer', { owned_by: 'u1' })).toBe(false);
    expect(access.field('customer', 'tax_id')).toBe('read_only');
  });

  it('knows instance admins and admins', () => {
    const access = accessOf(session({ instance_admin: true, role: 'admin' }, { admin: true }));
    expect(access).toMatchObject({ admin: true, audit: true, reports: true, instanceAdmin: true });
    expect(access.can('delete', 'anything', { owned_by: 'someone' })).toBe(true);
  });
});
