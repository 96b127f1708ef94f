// The start page: every entity type with its record count, and where to customize.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { listRecords } from '../api/endpoints';
import { keys, useEntityTypes } from '../api/queries';
import type { EntityType } from '../api/types';
import { useAccess } from '../auth/session';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';

function TypeCard({ type }: { type: EntityType }) {
  const count = useQuery({
    queryKey: [...keys.records(type.name), 'count'],
    queryFn: async () => (await listRecords(type.name, { $top: 1, $count: true, $select: 'id' })).count ?? 0,
  });
  return (
    <li className="card type-card">
      <Link to={`/records/${type.name}`}>
        <span className="type-card-name">{type.plural_name}</span>
        <span className="type-card-count">{count.data === undefined ? '…' : `${count.data.toLocaleString()} records`}</span>
      </Link>
      {type.schema.description && <p className="muted">{type.schema.description}</p>}
    </li>
  );
}

export function Home() {
  const types = useEntityTypes();
  const access = useAccess();
  return (
    <>
      <PageHeader title="Overview" subtitle="Your workspace's entity types and their records." />
      {types.isPending && <Loading label="Loading entity types" />}
      {types.isError && <ErrorState error={types.error} retry={() => types.refetch()} />}
      {types.data?.length === 0 && (
        <EmptyState title="No entity types yet">
          {access.admin ? (
            <Link to="/types/new" className="button primary">
              Define your first type
            </Link>
          ) : (
            'An administrator defines them.'
          )}
        </EmptyState>
      )}
      <ul className="card-grid">
        {types.data?.filter((type) => access.can('read', type.name)).map((type) => (
          <TypeCard key={type.name} type={type} />
        ))}
      </ul>
    </>
  );
}
