// The login page: workspace (remembered), e-mail and password; afterwards, back to the page the
// user wanted. A throttled account shows how long to wait, and the button waits with it.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { setCsrfToken } from '../api/client';
import { login } from '../api/endpoints';
import { formatWait, lastWorkspace, loginFailure, rememberWorkspace, safeNext, type LoginFailure } from './login';
import { SESSION_KEY } from './session';

function storage() {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export default function Login() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [workspace, setWorkspace] = useState(() => lastWorkspace(storage()));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LoginFailure | null>(null);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    document.title = 'Sign in · xrm';
  }, []);
  useEffect(() => {
    if (waitUntil <= now) return;
    const timer = setTimeout(() => setNow(Date.now()), 250);
    return () => clearTimeout(timer);
  }, [waitUntil, now]);
  const waiting = waitUntil > now;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const session = await login(workspace.trim(), email.trim(), password);
      rememberWorkspace(storage(), workspace.trim());
      setCsrfToken(session.csrf_token);
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, session);
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (error) {
      const failed = loginFailure(error);
      setFailure(failed);
      setPassword('');
      if (failed.retryAfter) {
        setWaitUntil(Date.now() + failed.retryAfter * 1000);
        setNow(Date.now());
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login-screen" id="main">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-heading">
        <p className="brand login-brand">
          xrm <span className="brand-sub">admin</span>
        </p>
        <h1 id="login-heading">Sign in</h1>
        {failure && (
          <p className="notice error" role="alert">
            {failure.message}
            {waiting && <span className="small"> ({formatWait((waitUntil - now) / 1000)} left)</span>}
          </p>
        )}
        <div className="form-row">
          <label htmlFor="login-workspace">Workspace</label>
          <input id="login-workspace" className="form-control" required autoComplete="organization" value={workspace} onChange={(e) => setWorkspace(e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="login-email">E-mail</label>
          <input id="login-email" className="form-control" type="email" required autoComplete="username" autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="login-password">Password</label>
          <input id="login-password" className="form-control" type="password" required autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy || waiting}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
