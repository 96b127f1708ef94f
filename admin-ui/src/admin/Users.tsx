// The workspace's users: create one, change display name, role or disabled, reset a password.
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { createUser, updateUser } from '../api/endpoints';
import { keys, useTeams, useUsers } from '../api/queries';
import type { User } from '../api/types';
import { useAccess } from '../auth/session';
import { formatValue } from '../schema/entity';
import { Modal } from '../ui/Modal';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { passwordProblem, userChange, userForm, type UserForm } from './admin';
import { fieldMessages } from './forms';
import { FormError, RoleSelect } from './widgets';

function NewUser({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('member');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problems = fieldMessages(error);
  const close = () => {
    setEmail('');
    setDisplayName('');
    setPassword('');
    setRole('member');
    setError(null);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const weak = passwordProblem(password);
    if (weak) {
      setError(new Error(weak));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = await createUser({ email: email.trim(), display_name: displayName.trim(), password, role, disabled: false });
      toast.success(`${user.email} can sign in now`);
      await queryClient.invalidateQueries({ queryKey: keys.users });
      close();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="New user" open={open} onClose={close}>
      <form onSubmit={submit}>
        <FormError error={error} />
        <div className="form-row">
          <label htmlFor="user-email">E-mail</label>
          <input id="user-email" className="form-control" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          {problems['/email'] && <p className="error-text small">{problems['/email']}</p>}
        </div>
        <div className="form-row">
          <label htmlFor="user-name">Display name</label>
          <input id="user-name" className="form-control" required value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </div>
        <div className="form-pair">
          <div className="form-row">
            <label htmlFor="user-password">Password</label>
            <input id="user-password" className="form-control" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="user-role">Role</label>
            <RoleSelect id="user-role" value={role} onChange={setRole} />
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create user
          </button>
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

function EditUser({ user, onClose }: { user: User; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<UserForm>(() => userForm(user));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof UserForm>(key: K, value: UserForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const weak = form.password ? passwordProblem(form.password) : null;
    if (weak) {
      setError(new Error(weak));
      return;
    }
    const change = userChange(user, form);
    if (Object.keys(change).length === 0) {
      onClose();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await updateUser(user.id, change);
      toast.success(`${user.email} saved${change.password ? '; the new password is set' : ''}`);
      await queryClient.invalidateQueries({ queryKey: keys.users });
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={`Edit ${user.email}`} open onClose={onClose}>
      <form onSubmit={submit}>
        <FormError error={error} />
        <div className="form-row">
          <label htmlFor="edit-name">Display name</label>
          <input id="edit-name" className="form-control" required value={form.display_name} onChange={(e) => set('display_name', e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="edit-role">Role</label>
          <RoleSelect id="edit-role" value={form.role} onChange={(role) => set('role', role)} />
        </div>
        <div className="form-row checkbox-row">
          <label>
            <input type="checkbox" checked={form.disabled} onChange={(e) => set('disabled', e.target.checked)} /> Disabled (cannot sign in; open sessions end)
          </label>
        </div>
        <div className="form-row">
          <label htmlFor="edit-password">Reset password</label>
          <input id="edit-password" className="form-control" type="password" autoComplete="new-password" placeholder="Leave empty to keep it" value={form.password} onChange={(e) => set('password', e.target.value)} />
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Save
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

export default function Users() {
  const users = useUsers();
  const teams = useTeams();
  const { session } = useAccess();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const teamName = (id: string) => teams.data?.find((t) => t.id === id)?.name ?? id;
  return (
    <>
      <PageHeader
        title="Users"
        subtitle={`Who can sign in to ${session.workspace.name}, and with which role.`}
        actions={
          <button type="button" className="button primary" onClick={() => setCreating(true)}>
            New user
          </button>
        }
      />
      {users.isPending && <Loading label="Loading users" />}
      {users.isError && <ErrorState error={users.error} retry={() => users.refetch()} />}
      {users.data?.length === 0 && <EmptyState title="No users" />}
      {!!users.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Display name</th>
                <th scope="col">Role</th>
                <th scope="col">Teams</th>
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <tr key={user.id}>
                  <td>
                    {user.email}
                    {user.id === session.user.id && <span className="badge">you</span>}
                  </td>
                  <td>{user.display_name}</td>
                  <td>
                    {user.role}
                    {user.instance_admin && <span className="badge">instance admin</span>}
                  </td>
                  <td>{(user.teams ?? []).map(teamName).join(', ') || '—'}</td>
                  <td>
                    <span className={user.disabled ? 'badge warning' : 'badge success'}>{user.disabled ? 'disabled' : 'active'}</span>
                  </td>
                  <td>{user.last_login_at ? formatValue(user.last_login_at, 'date-time') : 'never'}</td>
                  <td>
                    <div className="row-actions">
                      <button type="button" className="button small" aria-label={`Edit ${user.email}`} onClick={() => setEditing(user)}>
                        Edit
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewUser open={creating} onClose={() => setCreating(false)} />
      {editing && <EditUser key={editing.id} user={editing} onClose={() => setEditing(null)} />}
    </>
  );
}
