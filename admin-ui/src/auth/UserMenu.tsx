// The signed-in user in the top bar: who and where, change password, sign out.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { changePassword } from '../api/endpoints';
import { errorMessage } from '../api/problem';
import { Modal } from '../ui/Modal';
import { signOut, useAccess } from './session';

export function UserMenu() {
  const { session } = useAccess();
  const [open, setOpen] = useState(false);
  const [changing, setChanging] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  const user = session.user;
  return (
    <div className="user-menu" ref={ref}>
      <button type="button" className="user-menu-button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="user-name">{user.display_name || user.email}</span>
        <span className="user-where">
          {session.workspace.name} · {user.role}
        </span>
      </button>
      {open && (
        <div className="user-menu-popup" role="menu" aria-label="Account">
          <p className="muted small">{user.email}</p>
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              setOpen(false);
              setChanging(true);
            }}
          >
            Change password
          </button>
          <button type="button" role="menuitem" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      )}
      <ChangePassword open={changing} onClose={() => setChanging(false)} />
    </div>
  );
}

function ChangePassword({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setCurrent('');
    setNext('');
    setAgain('');
    setError(null);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (next !== again) {
      setError('The new password and its repetition differ.');
      return;
    }
    if (next.length < 8 || next.length > 1024) {
      setError('A password has 8 to 1024 characters.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await changePassword(current, next);
      toast.success('Password changed; your other sessions are signed out');
      close();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Change password" open={open} onClose={close}>
      <form onSubmit={submit}>
        {error && (
          <p className="notice error" role="alert">
            {error}
          </p>
        )}
        <div className="form-row">
          <label htmlFor="pw-current">Current password</label>
          <input id="pw-current" className="form-control" type="password" required autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="pw-new">New password</label>
          <input id="pw-new" className="form-control" type="password" required minLength={8} maxLength={1024} autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="pw-again">New password again</label>
          <input id="pw-again" className="form-control" type="password" required autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Change password
          </button>
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
