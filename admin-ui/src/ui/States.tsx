// Loading, error and empty states, the same on every screen.
import type { ReactNode } from 'react';
import { ApiError, errorMessage } from '../api/problem';

export function Loading({ label }: { label: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function ErrorState({ error, retry, title = 'Something went wrong' }: { error: unknown; retry?: () => void; title?: string }) {
  const requestId = error instanceof ApiError ? error.problem.request_id : undefined;
  return (
    <div className="state error" role="alert">
      <strong>{title}</strong>
      <p>{errorMessage(error)}</p>
      {requestId && <p className="muted small">Request id {requestId}</p>}
      {retry && (
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}
