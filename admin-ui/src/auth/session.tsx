// The signed-in session: loaded from GET /auth/session before any screen renders; without one
// the user goes to the login page, and comes back afterwards. Every screen reads it here.
import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { setCsrfToken, setUnauthenticatedHandler } from '../api/client';
import { getSession, logout } from '../api/endpoints';
import { isApiStatus } from '../api/problem';
import type { Session } from '../api/types';
import { ErrorState, Loading } from '../ui/States';
import { loginPath } from './login';
import {
  canCreate,
  canOnRecord,
  canReadAudit,
  canRunReports,
  fieldAccess,
  isAdmin,
  type FieldAccess,
  type Owned,
  type ScopedVerb,
} from './permissions';

export const SESSION_KEY = ['auth', 'session'] as const;

export interface Access {
  session: Session;
  admin: boolean;
  audit: boolean;
  reports: boolean;
  instanceAdmin: boolean;
  canCreate(type: string): boolean;
  can(verb: ScopedVerb, type: string, record?: Owned): boolean;
  field(type: string, field: string): FieldAccess | null;
}

const SessionContext = createContext<Access | null>(null);

export function accessOf(session: Session): Access {
  const permissions = session.permissions;
  const principal = { id: session.user.id, teams: session.user.teams ?? [] };
  return {
    session,
    admin: isAdmin(permissions),
    audit: canReadAudit(permissions),
    reports: canRunReports(permissions),
    instanceAdmin: session.user.instance_admin === true,
    canCreate: (type) => canCreate(permissions, type),
    can: (verb, type, record) => canOnRecord(permissions, verb, type, principal, record),
    field: (type, field) => fieldAccess(permissions, type, field),
  };
}

/** Leaves the app for the login page; a full load, so nothing of this session stays in memory. */
export function goToLogin(): void {
  setCsrfToken(null);
  const target = loginPath(window.location);
  if (window.location.pathname !== '/login') window.location.assign(target);
}

export async function signOut(): Promise<void> {
  try {
    await logout();
  } finally {
    setCsrfToken(null);
    window.location.assign('/login');
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const location = useLocation();
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: getSession, retry: false, staleTime: Infinity });
  const data = session.data;
  // The token is set during render: the screens' first requests must already carry it.
  if (data) setCsrfToken(data.csrf_token || null);
  useEffect(() => {
    setUnauthenticatedHandler(goToLogin);
    return () => setUnauthenticatedHandler(null);
  }, []);
  const access = useMemo(() => (data ? accessOf(data) : null), [data]);

  if (session.isPending) return <Loading label="Checking your session" />;
  if (session.isError) {
    if (isApiStatus(session.error, 401)) return <Navigate to={loginPath(location)} replace />;
    return <ErrorState error={session.error} retry={() => session.refetch()} title="The server could not be reached" />;
  }
  return <SessionContext.Provider value={access}>{children}</SessionContext.Provider>;
}

export function useAccess(): Access {
  const access = useContext(SessionContext);
  if (!access) throw new Error('useAccess outside SessionProvider');
  return access;
}
