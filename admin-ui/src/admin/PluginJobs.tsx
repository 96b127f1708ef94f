// Plugin deliveries (after-change hooks and schedule firings): pending ones and dead letters,
// with the last error and attempts; a dead one can be sent back, any one discarded.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { toast } from 'sonner';
import { discardPluginJob, listPluginJobs, retryPluginJob } from '../api/endpoints';
import { errorMessage } from '../api/problem';
import type { PluginJob } from '../api/types';
import { formatValue } from '../schema/entity';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { canRetry, jobQuery, jobSubject, parseStatusFilter, type JobStatusFilter } from './jobs';

const STATUSES: { value: JobStatusFilter; label: string }[] = [
  { value: 'dead', label: 'Dead letters' },
  { value: 'pending', label: 'Pending' },
  { value: 'all', label: 'All' },
];

export default function PluginJobs() {
  const [params, setParams] = useSearchParams();
  const status = parseStatusFilter(params.get('status'));
  const pkg = params.get('package') ?? '';
  const queryClient = useQueryClient();
  const query = jobQuery(status, pkg);
  const jobs = useQuery({
    queryKey: ['plugin-jobs', query],
    queryFn: async () => (await listPluginJobs(query)).value,
    refetchInterval: 5_000,
  });
  const [open, setOpen] = useState<string | null>(null);
  const [discarding, setDiscarding] = useState<PluginJob | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['plugin-jobs'] });
  const retry = async (job: PluginJob) => {
    setBusy(job.id);
    try {
      await retryPluginJob(job.id);
      toast.success('The delivery is queued again');
      await refresh();
    } catch (error) {
      toast.error(errorMessage(error));
    } finally {
      setBusy(null);
    }
  };
  const discard = async () => {
    if (!discarding) return;
    await discardPluginJob(discarding.id);
    setDiscarding(null);
    toast.success('The delivery is discarded');
    await refresh();
  };

  return (
    <>
      <PageHeader
        title="Plugin deliveries"
        subtitle="After-change hooks and schedule firings waiting to run, and the dead letters that ran out of attempts."
      />
      <div className="toolbar">
        <div className="tabs" role="tablist" aria-label="Status">
          {STATUSES.map((s) => (
            <button key={s.value} type="button" role="tab" aria-selected={status === s.value} onClick={() => setFilter('status', s.value)}>
              {s.label}
            </button>
          ))}
        </div>
        <span className="toolbar-spacer" />
        <label className="search">
          <span className="visually-hidden">Package</span>
          <input type="search" placeholder="Package" value={pkg} onChange={(event) => setFilter('package', event.target.value)} />
        </label>
      </div>
      {jobs.isPending && <Loading label="Loading deliveries" />}
      {jobs.isError && <ErrorState error={jobs.error} retry={() => jobs.refetch()} />}
      {jobs.data?.length === 0 && (
        <EmptyState title={status === 'dead' ? 'No dead letters' : 'No deliveries'}>
          {status === 'dead' ? 'Every delivery so far succeeded or is still being tried.' : 'Nothing is waiting to run.'}
        </EmptyState>
      )}
      {!!jobs.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Deliveries">
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Plugin</th>
                <th scope="col">Hook</th>
                <th scope="col">About</th>
                <th scope="col">Status</th>
                <th scope="col" className="number">Attempts</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((job) => {
                const subject = jobSubject(job);
                return (
                  <Fragment key={job.id}>
                    <tr>
                      <td>{formatValue(job.created_at, 'date-time')}</td>
                      <td>
                        <Link to={`/packages/${encodeURIComponent(job.package)}`}>{job.package}</Link>
                        <span className="muted"> / {job.plugin}</span>
                      </td>
                      <td className="mono">{job.hook}</td>
                      <td>
                        {subject.record ? (
                          <Link to={`/records/${encodeURIComponent(subject.record.type)}/${encodeURIComponent(subject.record.id)}`}>{subject.label}</Link>
                        ) : (
                          subject.label
                        )}
                      </td>
                      <td>
                        <span className={job.status === 'dead' ? 'badge warning' : 'badge'}>{job.status}</span>
                      </td>
                      <td className="number">{job.attempts}</td>
                      <td>{job.status === 'dead' ? '—' : formatValue(job.run_after, 'date-time')}</td>
                      <td className={job.last_error ? 'error-text' : undefined}>{job.last_error ?? '—'}</td>
                      <td>
                        <div className="row-actions">
                          <button type="button" className="button small" aria-expanded={open === job.id} onClick={() => setOpen(open === job.id ? null : job.id)}>
                            Event
                          </button>
                          {canRetry(job) && (
                            <button type="button" className="button small" disabled={busy === job.id} onClick={() => retry(job)}>
                              Retry
                            </button>
                          )}
                          <button type="button" className="button small danger" onClick={() => setDiscarding(job)}>
                            Discard
                          </button>
                        </div>
                      </td>
                    </tr>
                    {open === job.id && (
                      <tr>
                        <td colSpan={9}>
                          <pre className="code-block">{JSON.stringify(job.event, null, 2)}</pre>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog title="Discard the delivery" open={discarding !== null} confirmLabel="Discard" onConfirm={discard} onClose={() => setDiscarding(null)}>
        <p>The plugin will never receive this {discarding?.hook} delivery. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}
