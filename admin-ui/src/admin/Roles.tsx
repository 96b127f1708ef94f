// Roles of the workspace: the built-in admin, member and viewer, and any the admin made.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { toast } from 'sonner';
import { deleteRole } from '../api/endpoints';
import { keys, useRoles } from '../api/queries';
import type { Role } from '../api/types';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';

function summary(role: Role): string {
  const p = role.permissions ?? {};
  const parts: string[] = [];
  if (p.admin) parts.push('admin');
  if (p.audit) parts.push('audit');
  if (p.reports) parts.push('reports');
  const star = p.types?.['*'];
  if (star) parts.push(`records: read ${star.read ?? 'none'}, update ${star.update ?? 'none'}`);
  const others = Object.keys(p.types ?? {}).filter((t) => t !== '*');
  if (others.length) parts.push(`own rules for ${others.join(', ')}`);
  return parts.join(' · ') || 'nothing';
}

export default function Roles() {
  const queryClient = useQueryClient();
  const roles = useRoles();
  const [removing, setRemoving] = useState<Role | null>(null);
  const remove = async () => {
    if (!removing) return;
    await deleteRole(removing.name);
    toast.success(`Role ${removing.name} removed`);
    setRemoving(null);
    await queryClient.invalidateQueries({ queryKey: keys.roles });
  };
  return (
    <>
      <PageHeader
        title="Roles"
        subtitle="What users and tokens of each role may do: the admin, audit and reports switches, and per entity type who may create, read, update, delete and run actions."
        actions={
          <Link className="button primary" to="/admin/roles/new">
            New role
          </Link>
        }
      />
      {roles.isPending && <Loading label="Loading roles" />}
      {roles.isError && <ErrorState error={roles.error} retry={() => roles.refetch()} />}
      {roles.data?.length === 0 && <EmptyState title="No roles" />}
      {!!roles.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Roles">
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Description</th>
                <th scope="col">Allows</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {roles.data.map((role) => (
                <tr key={role.name}>
                  <td>
                    <Link to={`/admin/roles/${encodeURIComponent(role.name)}`}>{role.name}</Link>
                  </td>
                  <td>{role.description}</td>
                  <td className="small">{summary(role)}</td>
                  <td>
                    {role.name !== 'admin' && (
                      <div className="row-actions">
                        <button type="button" className="button small danger" aria-label={`Remove ${role.name}`} onClick={() => setRemoving(role)}>
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
      <ConfirmDialog title={`Remove role ${removing?.name ?? ''}`} open={removing !== null} confirmLabel="Remove" onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>A role is removed only when no user or token has it.</p>
      </ConfirmDialog>
    </>
  );
}
