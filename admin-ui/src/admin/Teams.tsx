// Teams: a name and members. Records a team owns are within the `team` scope of its members.
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { createTeam, deleteTeam, updateTeam } from '../api/endpoints';
import { keys, useTeams, useUsers } from '../api/queries';
import type { Team } from '../api/types';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Modal } from '../ui/Modal';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { toggleMember } from './admin';
import { FormError } from './widgets';

function TeamDialog({ team, onClose }: { team: Team | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const users = useUsers();
  const [name, setName] = useState(team?.name ?? '');
  const [members, setMembers] = useState<string[]>(team?.members ?? []);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (team) await updateTeam(team.id, { name: name.trim(), members });
      else await createTeam(name.trim(), members);
      toast.success(`Team ${name.trim()} saved`);
      await queryClient.invalidateQueries({ queryKey: keys.teams });
      await queryClient.invalidateQueries({ queryKey: keys.users });
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={team ? `Team ${team.name}` : 'New team'} open onClose={onClose}>
      <form onSubmit={submit}>
        <FormError error={error} />
        <div className="form-row">
          <label htmlFor="team-name">Name</label>
          <input id="team-name" className="form-control" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <fieldset className="checkbox-row" aria-label="Members">
          <legend>Members</legend>
          {users.isPending && <span className="muted">Loading users…</span>}
          {users.data?.map((user) => (
            <label key={user.id}>
              <input type="checkbox" checked={members.includes(user.id)} onChange={(e) => setMembers(toggleMember(members, user.id, e.target.checked))} />
              {user.display_name || user.email}
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Save team
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

export default function Teams() {
  const queryClient = useQueryClient();
  const teams = useTeams();
  const users = useUsers();
  const [editing, setEditing] = useState<Team | 'new' | null>(null);
  const [removing, setRemoving] = useState<Team | null>(null);
  const userName = (id: string) => {
    const user = users.data?.find((u) => u.id === id);
    return user ? user.display_name || user.email : id;
  };
  const remove = async () => {
    if (!removing) return;
    await deleteTeam(removing.id);
    toast.success(`Team ${removing.name} removed`);
    setRemoving(null);
    await queryClient.invalidateQueries({ queryKey: keys.teams });
  };
  return (
    <>
      <PageHeader
        title="Teams"
        subtitle="Members of a team reach the records the team owns, and each other's, where their role's scope is team."
        actions={
          <button type="button" className="button primary" onClick={() => setEditing('new')}>
            New team
          </button>
        }
      />
      {teams.isPending && <Loading label="Loading teams" />}
      {teams.isError && <ErrorState error={teams.error} retry={() => teams.refetch()} />}
      {teams.data?.length === 0 && <EmptyState title="No teams yet" />}
      {!!teams.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Teams">
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Members</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {teams.data.map((team) => (
                <tr key={team.id}>
                  <td>{team.name}</td>
                  <td>{team.members.map(userName).join(', ') || '—'}</td>
                  <td>
                    <div className="row-actions">
                      <button type="button" className="button small" onClick={() => setEditing(team)}>
                        Edit
                      </button>
                      <button type="button" className="button small danger" onClick={() => setRemoving(team)}>
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && <TeamDialog team={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog title={`Remove team ${removing?.name ?? ''}`} open={removing !== null} confirmLabel="Remove" onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>Its members stay; records it owns keep their owner but no longer belong to a team.</p>
      </ConfirmDialog>
    </>
  );
}
