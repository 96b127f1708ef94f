// The reports the installed plugins provide.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { listReports } from '../api/endpoints';
import { isApiStatus } from '../api/problem';
import { keys } from '../api/queries';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';

export default function ReportList() {
  const reports = useQuery({ queryKey: keys.reports, queryFn: async () => (await listReports()).value });
  return (
    <>
      <PageHeader title="Reports" subtitle="Reports that installed plugins provide, as tables and charts." />
      {reports.isPending && <Loading label="Loading reports" />}
      {reports.isError &&
        (isApiStatus(reports.error, 404) ? (
          <EmptyState title="This server does not provide reports yet">Reports arrive with a host that has the reports API.</EmptyState>
        ) : (
          <ErrorState error={reports.error} retry={() => reports.refetch()} />
        ))}
      {reports.data?.length === 0 && <EmptyState title="No reports">Install a package whose plugins provide reports.</EmptyState>}
      {!!reports.data?.length && (
        <ul className="card-grid">
          {reports.data.map((report) => (
            <li key={report.name} className="card">
              <h2>
                <Link to={`/reports/${report.name}`}>{report.display_name}</Link>
              </h2>
              {report.description && <p>{report.description}</p>}
              <p className="muted small">
                {report.package} · {report.plugin}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
