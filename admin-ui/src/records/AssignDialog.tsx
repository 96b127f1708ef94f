// Assign a record to a user and optionally a team (POST …/assign). Owners are picked from the
// member directory and teams from the team list, which every member may read.
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { assignRecord } from '../api/endpoints';
import { keys, useMembers, useTeams } from '../api/queries';
import type { RecordData } from '../api/types';
import { FormError } from '../admin/widgets';
import { useAccess } from '../auth/session';
import { Modal } from '../ui/Modal';

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function AssignDialog({ type, record, onClose }: { type: string; record: RecordData; onClose: () => void }) {
  const queryClient = useQueryClient();
  const access = useAccess();
  const users = useMembers();
  const teams = useTeams();
  const [owner, setOwner] = useState(text(record.owned_by) || access.session.user.id);
  const [team, setTeam] = useState(text(record.owning_team));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await assignRecord(type, record.id, owner.trim() || null, team.trim() || null);
      await queryClient.invalidateQueries({ queryKey: keys.record(type, record.id) });
      await queryClient.invalidateQueries({ queryKey: keys.records(type) });
      toast.success('Assigned');
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Assign" open onClose={onClose}>
      <form onSubmit={submit}>
        <FormError error={error} />
        <div className="form-row">
          <label htmlFor="assign-owner">Owner</label>
          {users.data ? (
            <select id="assign-owner" className="form-control" value={owner} onChange={(e) => setOwner(e.target.value)}>
              <option value="">nobody</option>
              {owner && !users.data.some((u) => u.id === owner) && <option value={owner}>{owner}</option>}
              {users.data.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.display_name || u.email} ({u.email})
                </option>
              ))}
            </select>
          ) : (
            <input id="assign-owner" className="form-control mono" value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="user id" />
          )}
        </div>
        <div className="form-row">
          <label htmlFor="assign-team">Team</label>
          {teams.data ? (
            <select id="assign-team" className="form-control" value={team} onChange={(e) => setTeam(e.target.value)}>
              <option value="">no team</option>
              {teams.data.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          ) : (
            <input id="assign-team" className="form-control mono" value={team} onChange={(e) => setTeam(e.target.value)} placeholder="team id, or empty" />
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Assign
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
