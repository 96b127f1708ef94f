// A package's schedules: cron, when each is next due and last fired, and "Run now".
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { toast } from 'sonner';
import { listSchedules, runSchedule } from '../api/endpoints';
import { errorMessage } from '../api/problem';
import { keys } from '../api/queries';
import type { PackageSchedule } from '../api/types';
import { formatValue } from '../schema/entity';
import { ErrorState } from '../ui/States';

export function PackageSchedules({ name, canRun }: { name: string; canRun: boolean }) {
  const queryClient = useQueryClient();
  const schedules = useQuery({
    queryKey: [...keys.package(name), 'schedules'],
    queryFn: async () => (await listSchedules(name)).value,
    refetchInterval: 15_000,
  });
  const [busy, setBusy] = useState<string | null>(null);
  if (schedules.data?.length === 0) return null;

  const run = async (s: PackageSchedule) => {
    const key = `${s.plugin}/${s.name}`;
    setBusy(key);
    try {
      await runSchedule(name, s.plugin, s.name);
      toast.success(`${s.name} is queued to run now`);
      await queryClient.invalidateQueries({ queryKey: [...keys.package(name), 'schedules'] });
    } catch (error) {
      toast.error(errorMessage(error));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="schedules-heading">
      <h2 id="schedules-heading">Schedules</h2>
      {schedules.isPending && <p className="muted">Loading…</p>}
      {schedules.isError && <ErrorState error={schedules.error} />}
      {!!schedules.data?.length && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Plugin</th>
                <th scope="col">Schedule</th>
                <th scope="col">Cron</th>
                <th scope="col">Next due</th>
                <th scope="col">Last fired</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {schedules.data.map((s) => (
                <tr key={`${s.plugin}/${s.name}`}>
                  <td>{s.plugin}</td>
                  <td>{s.name}</td>
                  <td>
                    <code>{s.cron}</code>
                  </td>
                  <td>{s.next_due ? formatValue(s.next_due, 'date-time') : '—'}</td>
                  <td>{s.last_fired ? formatValue(s.last_fired, 'date-time') : 'never'}</td>
                  <td>
                    {canRun && (
                      <div className="row-actions">
                        <button type="button" className="button small" disabled={busy === `${s.plugin}/${s.name}`} onClick={() => run(s)}>
                          Run now
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
      <p className="muted small">
        A run is a delivery like any other: see <Link to={`/plugin-jobs?status=all&package=${encodeURIComponent(name)}`}>its deliveries</Link>.
      </p>
    </section>
  );
}
