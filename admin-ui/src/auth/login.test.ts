import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { formatWait, lastWorkspace, loginFailure, loginPath, rememberWorkspace, safeNext } from './login';

describe('safeNext', () => {
  it('keeps paths of this app', () => {
    expect(safeNext('/records/customer?x=1#top')).toBe('/records/customer?x=1#top');
  });
  it('refuses other origins, nothing and the login page itself', () => {
    for (const next of [null, '', 'https://evil.example/', '//evil.example/', '/\\evil', '/login', '/login?next=/x']) {
      expect(safeNext(next)).toBe('/');
    }
  });
});

describe('loginPath', () => {
  it('comes back to where the user was', () => {
    expect(loginPath({ pathname: '/records/customer', search: '?q=1' })).toBe('/login?next=%2Frecords%2Fcustomer%3Fq%3D1');
    expect(loginPath({ pathname: '/' })).toBe('/login');
    expect(loginPath({ pathname: '/login', search: '?next=/x' })).toBe('/login');
  });
});

describe('the remembered workspace', () => {
  it('reads the last one, else default', () => {
    const map = new Map<string, string>();
    const storage = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
    expect(lastWorkspace(storage)).toBe('default');
    rememberWorkspace(storage, 'acme');
    expect(lastWorkspace(storage)).toBe('acme');
    expect(lastWorkspace(undefined)).toBe('default');
    const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    expect(lastWorkspace(broken)).toBe('default');
    expect(() => rememberWorkspace(broken, 'x')).not.toThrow();
  });
});

describe('loginFailure', () => {
  it('says the same for every wrong credential', () => {
    const error = new ApiError({ status: 401, code: 'invalid_credentials', detail: 'x', errors: [] });
    expect(loginFailure(error).message).toMatch(/workspace, e-mail or password is not right/);
  });
  it('names the wait of a throttled account', () => {
    const error = new ApiError({ status: 429, code: 'too_many_attempts', detail: 'x', errors: [], retry_after: 90 });
    expect(loginFailure(error)).toEqual({ message: 'Too many failed sign-ins. Try again in 1 minute 30 seconds.', retryAfter: 90 });
  });
  it('passes other errors through', () => {
    expect(loginFailure(new Error('offline')).message).toBe('offline');
  });
});

describe('formatWait', () => {
  it('reads like a person wrote it', () => {
    expect(formatWait(0.2)).toBe('1 second');
    expect(formatWait(45)).toBe('45 seconds');
    expect(formatWait(120)).toBe('2 minutes');
    expect(formatWait(901)).toBe('15 minutes 1 second');
  });
});
