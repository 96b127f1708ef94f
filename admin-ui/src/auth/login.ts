// Sign-in flow logic: where to go after signing in, the remembered workspace, and what a failed
// sign-in tells the user.
import { ApiError, errorMessage } from '../api/problem';

export const LAST_WORKSPACE_KEY = 'xrm.workspace';
export const DEFAULT_WORKSPACE = 'default';

/** The page to return to after signing in: a path of this app, never another origin. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login/')) return '/';
  return next;
}

/** The login page's address that comes back to `location` afterwards. */
export function loginPath(location: { pathname: string; search?: string; hash?: string }): string {
  const here = `${location.pathname}${location.search ?? ''}${location.hash ?? ''}`;
  const next = safeNext(here);
  return next === '/' ? '/login' : `/login?${new URLSearchParams({ next })}`;
}

export interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function lastWorkspace(storage: Storage | undefined): string {
  try {
    return storage?.getItem(LAST_WORKSPACE_KEY) || DEFAULT_WORKSPACE;
  } catch {
    return DEFAULT_WORKSPACE;
  }
}

export function rememberWorkspace(storage: Storage | undefined, workspace: string): void {
  try {
    storage?.setItem(LAST_WORKSPACE_KEY, workspace);
  } catch {
    // Storage may be off (private mode); the workspace is then typed again next time.
  }
}

export interface LoginFailure {
  message: string;
  /** Seconds until another attempt is allowed, for a throttled account. */
  retryAfter?: number;
}

/** "1 second", "45 seconds", "3 minutes", "2 minutes 5 seconds". */
export function formatWait(seconds: number): string {
  const total = Math.max(1, Math.ceil(seconds));
  const minutes = Math.floor(total / 60);
  const rest = total % 60;
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes === 0) return plural(rest, 'second');
  return rest ? `${plural(minutes, 'minute')} ${plural(rest, 'second')}` : plural(minutes, 'minute');
}

/** What the login form says about a failed sign-in. */
export function loginFailure(error: unknown): LoginFailure {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') {
      return { message: 'The workspace, e-mail or password is not right, or the account is disabled.' };
    }
    if (error.code === 'too_many_attempts' || error.code === 'rate_limited' || error.status === 429) {
      const wait = typeof error.problem.retry_after === 'number' ? error.problem.retry_after : undefined;
      return {
        message: wait === undefined ? 'Too many failed sign-ins. Wait a moment, then try again.' : `Too many failed sign-ins. Try again in ${formatWait(wait)}.`,
        retryAfter: wait,
      };
    }
  }
  return { message: errorMessage(error) };
}
