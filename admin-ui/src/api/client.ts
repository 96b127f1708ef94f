// The one place the UI talks HTTP: JSON in and out, errors as `ApiError` with the problem document.
// It sends the session cookie (same origin only), the session's CSRF token on every request that
// may change something, and reports any 401 to the handler the app installs (the login page).
import { ApiError, toProblem } from './problem';

export const API_ROOT = '/api/v1';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** false for the calls that answer 401 as part of their job (sign-in, the session check). */
  authRedirect?: boolean;
}

/** Methods that never change anything, and so need no CSRF token. */
const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

let csrfToken: string | null = null;
let unauthenticated: (() => void) | null = null;

/** The session's CSRF token, sent as `X-CSRF-Token` from now on; null after signing out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/** What happens when any call answers 401: the app sends the user to the login page. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  unauthenticated = handler;
}

/** `path` under /api/v1 with the query options that are set, e.g. `$filter`. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_ROOT}${path}${search ? `?${search}` : ''}`;
}

/** The entity tag of a record or entity-type version, for `If-Match`. */
export function etag(version: number): string {
  return `"${version}"`;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (!SAFE_METHODS.includes(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(toProblem(0, '', null));
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    const problem = toProblem(response.status, response.statusText, parsed);
    const retryAfter = Number(response.headers.get('Retry-After'));
    if (response.headers.has('Retry-After') && Number.isFinite(retryAfter)) problem.retry_after = retryAfter;
    if (response.status === 401 && options.authRedirect !== false) unauthenticated?.();
    throw new ApiError(problem);
  }
  return parsed as T;
}
