// A record's History tab: its audit entries, newest first, with each changed field before → after.
import { useInfiniteQuery } from '@tanstack/react-query';
import { recordHistory } from '../api/endpoints';
import { keys } from '../api/queries';
import { AuditEntryView } from '../admin/AuditEntryView';
import { EmptyState, ErrorState, Loading } from '../ui/States';

export function RecordHistory({ type, id }: { type: string; id: string }) {
  const history = useInfiniteQuery({
    queryKey: keys.history(type, id),
    queryFn: ({ pageParam }) => recordHistory(type, id, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    staleTime: 0,
  });
  if (history.isPending) return <Loading label="Loading the history" />;
  if (history.isError) return <ErrorState error={history.error} retry={() => history.refetch()} />;
  const entries = history.data.pages.flatMap((p) => p.value);
  if (entries.length === 0) return <EmptyState title="No history yet" />;
  return (
    <section className="card" aria-label="History">
      {entries.map((entry) => (
        <AuditEntryView key={entry.id} entry={entry} showSubject={false} />
      ))}
      {history.hasNextPage && (
        <button type="button" className="button" onClick={() => history.fetchNextPage()} disabled={history.isFetchingNextPage}>
          {history.isFetchingNextPage ? 'Loading…' : 'Load older changes'}
        </button>
      )}
    </section>
  );
}
