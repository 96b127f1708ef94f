// How a package's plugins have been doing: invocations, failures, latency, and the latest failures.
import { useQuery } from '@tanstack/react-query';
import { getPackageFailures, getPackageStats } from '../api/endpoints';
import { isApiStatus } from '../api/problem';
import { keys } from '../api/queries';
import { formatValue } from '../schema/entity';
import { ErrorState } from '../ui/States';

function Unavailable({ what }: { what: string }) {
  return <p className="muted">This server does not report {what} yet.</p>;
}

export function PackageStats({ name }: { name: string }) {
  const stats = useQuery({ queryKey: [...keys.package(name), 'stats'], queryFn: () => getPackageStats(name), refetchInterval: 15_000 });
  const failures = useQuery({ queryKey: [...keys.package(name), 'failures'], queryFn: () => getPackageFailures(name), refetchInterval: 15_000 });

  return (
    <>
      <section className="card" aria-labelledby="stats-heading">
        <h2 id="stats-heading">Invocations</h2>
        {stats.isPending && <p className="muted">Loading…</p>}
        {stats.isError && (isApiStatus(stats.error, 404) ? <Unavailable what="invocation statistics" /> : <ErrorState error={stats.error} />)}
        {stats.data?.value.length === 0 && <p className="muted">No invocations yet.</p>}
        {!!stats.data?.value.length && (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Plugin</th>
                  <th scope="col">Hook</th>
                  <th scope="col" className="number">Invocations</th>
                  <th scope="col" className="number">Failures</th>
                  <th scope="col" className="number">p50 ms</th>
                  <th scope="col" className="number">p95 ms</th>
                  <th scope="col" className="number">p99 ms</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.value.map((s) => (
                  <tr key={`${s.plugin}.${s.hook}`}>
                    <td>{s.plugin}</td>
                    <td className="mono">{s.hook}</td>
                    <td className="number">{s.invocations.toLocaleString()}</td>
                    <td className={s.failures ? 'number error-text' : 'number'}>{s.failures.toLocaleString()}</td>
                    <td className="number">{s.latency_ms.p50}</td>
                    <td className="number">{s.latency_ms.p95}</td>
                    <td className="number">{s.latency_ms.p99}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="failures-heading">
        <h2 id="failures-heading">Recent failures</h2>
        {failures.isPending && <p className="muted">Loading…</p>}
        {failures.isError && (isApiStatus(failures.error, 404) ? <Unavailable what="plugin failures" /> : <ErrorState error={failures.error} />)}
        {failures.data?.value.length === 0 && <p className="muted">No failures. </p>}
        {!!failures.data?.value.length && (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Plugin</th>
                  <th scope="col">Hook</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Record</th>
                </tr>
              </thead>
              <tbody>
                {failures.data.value.map((f, index) => (
                  <tr key={index}>
                    <td>{formatValue(f.at, 'date-time')}</td>
                    <td>{f.plugin}</td>
                    <td className="mono">{f.hook}</td>
                    <td>{f.kind}</td>
                    <td>{f.reason}</td>
                    <td className="mono">{f.entity_type && f.record_id ? `${f.entity_type}/${f.record_id}` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
