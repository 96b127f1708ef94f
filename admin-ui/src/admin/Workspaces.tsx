// Workspaces (tenants), for instance admins: list, create with a first admin, remove.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { createWorkspace, deleteWorkspace, listWorkspaces } from '../api/endpoints';
import { keys } from '../api/queries';
import type { Workspace } from '../api/types';
import { useAccess } from '../auth/session';
import { formatValue } from '../schema/entity';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { passwordProblem, WORKSPACE_ID } from './admin';
import { FormError } from './widgets';

export default function Workspaces() {
  const queryClient = useQueryClient();
  const { session } = useAccess();
  const workspaces = useQuery({ queryKey: keys.workspaces, queryFn: listWorkspaces });
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<Workspace | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!WORKSPACE_ID.test(id)) {
      setError(new Error('A workspace id is 2 to 63 lower-case letters, digits and dashes, starting with a letter.'));
      return;
    }
    const weak = passwordProblem(password);
    if (weak) {
      setError(new Error(weak));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await createWorkspace({ id, name: name.trim(), admin: { email: email.trim(), password, display_name: displayName.trim() } });
      toast.success(`Workspace ${created.name} created; ${email.trim()} can sign in to it`);
      setId('');
      setName('');
      setEmail('');
      setDisplayName('');
      setPassword('');
      await queryClient.invalidateQueries({ queryKey: keys.workspaces });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!removing) return;
    await deleteWorkspace(removing.id);
    toast.success(`Workspace ${removing.name} removed`);
    setRemoving(null);
    await queryClient.invalidateQueries({ queryKey: keys.workspaces });
  };

  return (
    <>
      <PageHeader title="Workspaces" subtitle="Each workspace is a tenant of its own: types, records, packages, users and audit trail, invisible to the others." />
      <form className="card" onSubmit={submit} aria-label="New workspace">
        <h2>New workspace</h2>
        <FormError error={error} />
        <div className="form-grid">
          <div className="form-row">
            <label htmlFor="ws-id">Id</label>
            <input id="ws-id" className="form-control mono" required value={id} onChange={(e) => setId(e.target.value)} placeholder="acme" />
          </div>
          <div className="form-row">
            <label htmlFor="ws-name">Name</label>
            <input id="ws-name" className="form-control" required value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme Ltd" />
          </div>
          <div className="form-row">
            <label htmlFor="ws-email">First admin's e-mail</label>
            <input id="ws-email" className="form-control" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="ws-display">First admin's name</label>
            <input id="ws-display" className="form-control" required value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="ws-password">First admin's password</label>
            <input id="ws-password" className="form-control" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create workspace
          </button>
        </div>
      </form>
      {workspaces.isPending && <Loading label="Loading workspaces" />}
      {workspaces.isError && <ErrorState error={workspaces.error} retry={() => workspaces.refetch()} />}
      {workspaces.data?.length === 0 && <EmptyState title="No workspaces" />}
      {!!workspaces.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Workspaces">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {workspaces.data.map((ws) => (
                <tr key={ws.id}>
                  <td className="mono">{ws.id}</td>
                  <td>
                    {ws.name}
                    {ws.id === session.workspace.id && <span className="badge">yours</span>}
                  </td>
                  <td>{formatValue(ws.created_at, 'date-time')}</td>
                  <td>
                    {ws.id !== session.workspace.id && (
                      <div className="row-actions">
                        <button type="button" className="button small danger" onClick={() => setRemoving(ws)}>
                          Remove
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog title={`Remove workspace ${removing?.id ?? ''}`} open={removing !== null} confirmLabel="Remove everything" onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>Everything of the workspace is removed for good: types, records, packages, users, tokens and its audit trail.</p>
      </ConfirmDialog>
    </>
  );
}
