import { describe, expect, it } from 'vitest';
import type { User } from '../api/types';
import { actorLabel, changeRows, expiryFrom, localToIso, passwordProblem, showValue, toggleMember, tokenState, userChange, userForm } from './admin';

const user: User = {
  id: 'u1',
  email: 'rep@demo.xrm',
  display_name: 'Rep',
  role: 'member',
  instance_admin: false,
  disabled: false,
  teams: [],
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-01T00:00:00Z',
  last_login_at: null,
};

describe('userChange', () => {
  it('sends nothing for an untouched form', () => {
    expect(userChange(user, userForm(user))).toEqual({});
  });
  it('sends what changed, and a password only when typed', () => {
    expect(userChange(user, { display_name: ' Sales rep ', role: 'viewer', disabled: true, password: '' })).toEqual({
      display_name: 'Sales rep',
      role: 'viewer',
      disabled: true,
    });
    expect(userChange(user, { ...userForm(user), password: 'new-secret' })).toEqual({ password: 'new-secret' });
  });
  it('checks password length', () => {
    expect(passwordProblem('short')).toMatch(/at least 8/);
    expect(passwordProblem('long enough')).toBeNull();
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
  });
});

describe('tokens', () => {
  it('computes expiry within 1 to 366 days', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(expiryFrom(now, 30)).toBe('2030-01-31T00:00:00.000Z');
    expect(expiryFrom(now, 1000)).toBe(new Date(now.getTime() + 366 * 86_400_000).toISOString());
    expect(expiryFrom(now, 0)).toBe('2030-01-02T00:00:00.000Z');
  });
  it('names a token state', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(tokenState({ revoked_at: null, expires_at: '2030-02-01T00:00:00Z' }, now)).toBe('active');
    expect(tokenState({ revoked_at: '2029-12-31T00:00:00Z', expires_at: '2030-02-01T00:00:00Z' }, now)).toBe('revoked');
    expect(tokenState({ revoked_at: null, expires_at: '2029-12-01T00:00:00Z' }, now)).toBe('expired');
  });
});

describe('toggleMember', () => {
  it('adds once and removes', () => {
    expect(toggleMember(['a'], 'b', true)).toEqual(['a', 'b']);
    expect(toggleMember(['a', 'b'], 'b', true)).toEqual(['a', 'b']);
    expect(toggleMember(['a', 'b'], 'a', false)).toEqual(['b']);
  });
});

describe('changeRows', () => {
  it('follows the entry’s changed list', () => {
    expect(changeRows({ before: { status: 'open', a: 1 }, after: { status: 'escalated', a: 1 }, changed: ['status', 'escalated_at'] })).toEqual([
      { field: 'status', before: 'open', after: 'escalated' },
      { field: 'escalated_at', before: undefined, after: undefined },
    ]);
  });
  it('leaves out listed fields whose value reads the same before and after', () => {
    expect(changeRows({ before: { tier: 'gold', revenue: 1200 }, after: { tier: 'silver', revenue: 1200 }, changed: ['revenue', 'tier'] })).toEqual([
      { field: 'tier', before: 'gold', after: 'silver' },
    ]);
  });

  it('compares when there is no list, leaving out bookkeeping', () => {
    expect(
      changeRows({ before: { name: 'A', version: 1, tags: ['x'] }, after: { name: 'B', version: 2, tags: ['x'], city: 'Bonn' }, changed: null }),
    ).toEqual([
      { field: 'city', before: undefined, after: 'Bonn' },
      { field: 'name', before: 'A', after: 'B' },
    ]);
  });
  it('reads a create and a delete', () => {
    expect(changeRows({ before: null, after: { name: 'A' } })).toEqual([{ field: 'name', before: undefined, after: 'A' }]);
    expect(changeRows({ before: { name: 'A' }, after: null })).toEqual([{ field: 'name', before: 'A', after: undefined }]);
  });
});

describe('labels', () => {
  it('shows values and actors', () => {
    expect(showValue(null)).toBe('—');
    expect(showValue(undefined)).toBe('—');
    expect(showValue('x')).toBe('x');
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(actorLabel({ kind: 'user', id: 'u1', name: 'rep@demo.xrm' })).toBe('rep@demo.xrm');
    expect(actorLabel({ kind: 'plugin', id: null, name: 'complaint-sla/complaint-sla' })).toBe('plugin complaint-sla/complaint-sla');
    expect(actorLabel({ kind: 'system' })).toBe('system');
  });
  it('turns local date-times into RFC 3339', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('nonsense')).toBeUndefined();
    expect(localToIso('2030-01-01T10:00')).toBe(new Date('2030-01-01T10:00').toISOString());
  });
});
