// "Are you sure?" for destructive actions, with the error shown in place if the action fails.
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api/problem';
import { Modal } from './Modal';

interface Props {
  title: string;
  open: boolean;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ReactNode;
}

export function ConfirmDialog({ title, open, confirmLabel, onConfirm, onClose, children }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const close = () => {
    setError(null);
    onClose();
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={title} open={open} onClose={close}>
      {children}
      {error !== null && (
        <p className="notice error" role="alert">
          {errorMessage(error)}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button danger" onClick={confirm} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" className="button" onClick={close}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
