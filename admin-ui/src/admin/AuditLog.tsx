// The workspace's audit trail, newest first: filter by subject, actor, action and time; page on
// by cursor.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { listAudit, type AuditFilter } from '../api/endpoints';
import { keys, useUsers } from '../api/queries';
import { useAccess } from '../auth/session';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { localToIso } from './admin';
import { AuditEntryView } from './AuditEntryView';

interface FilterForm {
  subject_kind: string;
  subject_type: string;
  subject_id: string;
  actor_id: string;
  action: string;
  since: string;
  until: string;
}

/** The kinds of subject the host audits (docs/security.md, "Audit trail"); others can be typed. */
const SUBJECT_KINDS = ['record', 'entity_type', 'package', 'plugin', 'publisher', 'user', 'team', 'role', 'token', 'workspace'];

const EMPTY: FilterForm = { subject_kind: '', subject_type: '', subject_id: '', actor_id: '', action: '', since: '', until: '' };

function toFilter(form: FilterForm): AuditFilter {
  const text = (value: string) => value.trim() || undefined;
  return {
    subject_kind: text(form.subject_kind),
    subject_type: text(form.subject_type),
    subject_id: text(form.subject_id),
    actor_id: text(form.actor_id),
    action: text(form.action),
    since: localToIso(form.since),
    until: localToIso(form.until),
    $top: 50,
  };
}

export default function AuditLog() {
  const access = useAccess();
  const users = useUsers(access.admin);
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [filter, setFilter] = useState<AuditFilter>(() => toFilter(EMPTY));
  const entries = useInfiniteQuery({
    queryKey: [...keys.audit, filter],
    queryFn: ({ pageParam }) => listAudit({ ...filter, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const set = (key: keyof FilterForm, value: string) => setForm((f) => ({ ...f, [key]: value }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilter(toFilter(form));
  };
  const all = entries.data?.pages.flatMap((p) => p.value) ?? [];

  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change of records and of the workspace's configuration, as it committed. Nothing here can be changed or removed." />
      <form className="card filters" onSubmit={apply} aria-label="Filters">
        <div className="form-row">
          <label htmlFor="audit-kind">Subject kind</label>
          <input id="audit-kind" className="form-control" list="audit-kinds" placeholder="any" value={form.subject_kind} onChange={(e) => set('subject_kind', e.target.value)} />
          <datalist id="audit-kinds">
            {SUBJECT_KINDS.map((kind) => (
              <option key={kind} value={kind} />
            ))}
          </datalist>
        </div>
        <div className="form-row">
          <label htmlFor="audit-type">Entity type</label>
          <input id="audit-type" className="form-control" value={form.subject_type} onChange={(e) => set('subject_type', e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="audit-id">Subject id</label>
          <input id="audit-id" className="form-control mono" value={form.subject_id} onChange={(e) => set('subject_id', e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="audit-actor">Actor</label>
          {users.data ? (
            <select id="audit-actor" className="form-control" value={form.actor_id} onChange={(e) => set('actor_id', e.target.value)}>
              <option value="">anyone</option>
              {users.data.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          ) : (
            <input id="audit-actor" className="form-control mono" placeholder="user id" value={form.actor_id} onChange={(e) => set('actor_id', e.target.value)} />
          )}
        </div>
        <div className="form-row">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" className="form-control" placeholder="record.update" value={form.action} onChange={(e) => set('action', e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="audit-since">Since</label>
          <input id="audit-since" className="form-control" type="datetime-local" value={form.since} onChange={(e) => set('since', e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="audit-until">Until</label>
          <input id="audit-until" className="form-control" type="datetime-local" value={form.until} onChange={(e) => set('until', e.target.value)} />
        </div>
        <div className="form-row form-actions">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setForm(EMPTY);
              setFilter(toFilter(EMPTY));
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {entries.isPending && <Loading label="Loading the audit trail" />}
      {entries.isError && <ErrorState error={entries.error} retry={() => entries.refetch()} />}
      {entries.isSuccess && all.length === 0 && <EmptyState title="No entries match" />}
      {all.length > 0 && (
        <section className="card" aria-label="Audit entries">
          {all.map((entry) => (
            <AuditEntryView key={entry.id} entry={entry} showSubject />
          ))}
          {entries.hasNextPage && (
            <button type="button" className="button" onClick={() => entries.fetchNextPage()} disabled={entries.isFetchingNextPage}>
              {entries.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
            </button>
          )}
        </section>
      )}
    </>
  );
}
