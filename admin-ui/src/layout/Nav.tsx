// The navigation: every entity type's records, then what the user's role may open: reports,
// customization (types, packages, plugin deliveries, publishers) and administration.
import { NavLink } from 'react-router-dom';
import { useEntityTypes } from '../api/queries';
import { useAccess } from '../auth/session';

export function Nav({ id }: { id: string }) {
  const types = useEntityTypes();
  const access = useAccess();
  const sorted = [...(types.data ?? [])].sort((a, b) => a.plural_name.localeCompare(b.plural_name));
  const link = (to: string, label: string) => (
    <li>
      <NavLink to={to}>{label}</NavLink>
    </li>
  );

  return (
    <nav id={id} className="sidebar" aria-label="Main">
      <h2 className="nav-heading">Records</h2>
      {types.isPending && <p className="nav-note">Loading types…</p>}
      {types.isError && <p className="nav-note error-text">Types could not be loaded</p>}
      {types.data?.length === 0 && <p className="nav-note">No entity types yet</p>}
      <ul className="nav-list">
        {sorted.filter((type) => access.can('read', type.name)).map((type) => link(`/records/${type.name}`, type.plural_name))}
      </ul>
      {access.reports && !access.admin && <ul className="nav-list">{link('/reports', 'Reports')}</ul>}
      {access.admin && (
        <>
          <h2 className="nav-heading">Customize</h2>
          <ul className="nav-list">
            {link('/types', 'Entity types')}
            {link('/packages', 'Packages')}
            {link('/reports', 'Reports')}
            {link('/plugin-jobs', 'Plugin deliveries')}
            {link('/trusted-publishers', 'Trusted publishers')}
          </ul>
        </>
      )}
      {(access.admin || access.audit || access.instanceAdmin) && (
        <>
          <h2 className="nav-heading">Administration</h2>
          <ul className="nav-list">
            {access.admin && link('/admin/users', 'Users')}
            {access.admin && link('/admin/teams', 'Teams')}
            {access.admin && link('/admin/roles', 'Roles')}
            {access.admin && link('/admin/tokens', 'API tokens')}
            {access.audit && link('/admin/audit', 'Audit log')}
            {access.instanceAdmin && link('/admin/workspaces', 'Workspaces')}
          </ul>
        </>
      )}
    </nav>
  );
}
