import { afterEach, describe, expect, it, vi } from 'vitest';
import { request, setCsrfToken, setUnauthenticatedHandler } from './client';
import { ApiError } from './problem';

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async (_url: string, _init: RequestInit) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
  setUnauthenticatedHandler(null);
});

describe('request', () => {
  it('sends the CSRF token on every request but GET, and the cookie of the same origin', async () => {
    const fetch = answer(200, { ok: true });
    vi.stubGlobal('fetch', fetch);
    setCsrfToken('t0ken');
    await request('/records/x', { method: 'POST', json: {} });
    await request('/records/x');
    await request('/records/x/1', { method: 'DELETE' });
    const headers = fetch.mock.calls.map(([, init]) => (init.headers as Record<string, string>)['X-CSRF-Token']);
    expect(headers).toEqual(['t0ken', undefined, 't0ken']);
    expect(fetch.mock.calls.every(([, init]) => init.credentials === 'same-origin')).toBe(true);
  });

  it('sends no CSRF header before there is a session', async () => {
    const fetch = answer(200, {});
    vi.stubGlobal('fetch', fetch);
    await request('/auth/login', { method: 'POST', json: {} });
    expect((fetch.mock.calls[0][1].headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
  });

  it('reports a 401 to the handler unless the call handles it itself', async () => {
    vi.stubGlobal('fetch', answer(401, { status: 401, code: 'unauthenticated', detail: 'sign in' }));
    const handler = vi.fn();
    setUnauthenticatedHandler(handler);
    await expect(request('/records/x')).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(1);
    await expect(request('/auth/login', { method: 'POST', json: {}, authRedirect: false })).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('puts Retry-After on the problem', async () => {
    vi.stubGlobal('fetch', answer(429, { status: 429, code: 'too_many_attempts', detail: 'wait' }, { 'Retry-After': '8' }));
    const error = await request('/auth/login', { method: 'POST', json: {}, authRedirect: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem.retry_after).toBe(8);
  });
});
