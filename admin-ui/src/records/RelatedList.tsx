// The records of another type that point at this one through a lookup (a customer's contracts).
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useAccess } from '../auth/session';
import { listRelated } from '../api/endpoints';
import { keys } from '../api/queries';
import type { EntityType, RecordData } from '../api/types';
import { annotations, fieldLabel, formatValue, recordTitle, valueAt } from '../schema/entity';
import { ErrorState } from '../ui/States';

const PAGE = 10;

interface Props {
  parentType: string;
  parentId: string;
  source: EntityType;
  via: string;
  /** Whether the source type has several lookups to the parent, so the heading names this one. */
  showVia: boolean;
}

/** Up to three columns besides the title: the state, then indexed scalar fields. */
function summaryColumns(source: EntityType, via: string): string[] {
  const xrm = annotations(source.schema);
  const properties = source.schema.properties ?? {};
  const candidates = [xrm.state_machine?.field, ...(xrm.indexed ?? [])].filter(
    (name): name is string => !!name && name !== xrm.title_field && name !== via && !!properties[name] && !xrm.lookups?.[name],
  );
  return [...new Set(candidates)].slice(0, 3);
}

export function RelatedList({ parentType, parentId, source, via, showVia }: Props) {
  const access = useAccess();
  const columns = summaryColumns(source, via);
  const related = useInfiniteQuery({
    queryKey: [...keys.records(source.name), 'related', parentType, parentId, via],
    queryFn: ({ pageParam }) => listRelated(parentType, parentId, source.name, via, { $top: PAGE, $count: !pageParam || undefined, $cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor,
  });
  const headingId = `related-${source.name}-${via}`;
  const rows: RecordData[] = related.data?.pages.flatMap((p) => p.value) ?? [];
  const count = related.data?.pages[0]?.count;
  const viaLabel = fieldLabel(via, source.schema.properties?.[via]);

  return (
    <section className="card related" aria-labelledby={headingId}>
      <div className="section-header">
        <h2 id={headingId}>
          {source.plural_name}
          {showVia && <span className="muted"> · {viaLabel}</span>}
          {count !== undefined && <span className="count">{count}</span>}
        </h2>
        {access.canCreate(source.name) && (
          <Link className="button small" to={`/records/${source.name}/new?${new URLSearchParams({ [via]: parentId })}`}>
            New {source.display_name.toLowerCase()}
          </Link>
        )}
      </div>
      {related.isPending && <p className="muted">Loading…</p>}
      {related.isError && <ErrorState error={related.error} retry={() => related.refetch()} />}
      {related.isSuccess && rows.length === 0 && <p className="muted">No {source.plural_name.toLowerCase()} yet.</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{fieldLabel(annotations(source.schema).title_field, undefined)}</th>
                {columns.map((name) => (
                  <th scope="col" key={name}>
                    {fieldLabel(name, source.schema.properties?.[name])}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td>
                    <Link to={`/records/${source.name}/${row.id}`}>{recordTitle(source, row)}</Link>
                  </td>
                  {columns.map((name) => (
                    <td key={name}>{formatValue(valueAt(row, name))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {related.hasNextPage && (
        <button type="button" className="button small" onClick={() => related.fetchNextPage()} disabled={related.isFetchingNextPage}>
          {related.isFetchingNextPage ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  );
}
