// The navigation: every entity type's records, then customization (types, packages, reports).
import { NavLink } from 'react-router-dom';
import { useEntityTypes } from '../api/queries';

export function Nav({ id }: { id: string }) {
  const types = useEntityTypes();
  const sorted = [...(types.data ?? [])].sort((a, b) => a.plural_name.localeCompare(b.plural_name));

  return (
    <nav id={id} className="sidebar" aria-label="Main">
      <h2 className="nav-heading">Records</h2>
      {types.isPending && <p className="nav-note">Loading types…</p>}
      {types.isError && <p className="nav-note error-text">Types could not be loaded</p>}
      {types.data?.length === 0 && <p className="nav-note">No entity types yet</p>}
      <ul className="nav-list">
        {sorted.map((type) => (
          <li key={type.name}>
            <NavLink to={`/records/${type.name}`}>{type.plural_name}</NavLink>
          </li>
        ))}
      </ul>
      <h2 className="nav-heading">Customize</h2>
      <ul className="nav-list">
        <li>
          <NavLink to="/types">Entity types</NavLink>
        </li>
        <li>
          <NavLink to="/packages">Packages</NavLink>
        </li>
        <li>
          <NavLink to="/reports">Reports</NavLink>
        </li>
        <li>
          <NavLink to="/plugin-jobs">Plugin deliveries</NavLink>
        </li>
        <li>
          <NavLink to="/trusted-publishers">Trusted publishers</NavLink>
        </li>
      </ul>
    </nav>
  );
}
