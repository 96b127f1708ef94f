// One report: its parameters as a form, the result as a sortable table and a chart.
import { useQuery } from '@tanstack/react-query';
import type { ColDef } from 'ag-grid-community';
import { AgGridReact } from 'ag-grid-react';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { listReports, runReport } from '../api/endpoints';
import { ApiError } from '../api/problem';
import { keys } from '../api/queries';
import type { ReportResult } from '../api/types';
import { SchemaForm } from '../forms/SchemaForm';
import { placeProblem } from '../records/fieldErrors';
import { gridTheme } from '../records/gridSetup';
import { formatValue } from '../schema/entity';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { ReportChart } from './ReportChart';
import { chartData, reportQuery, rowObjects } from './reportData';

function ReportTable({ result }: { result: ReportResult }) {
  const columns = useMemo<ColDef[]>(
    () =>
      result.columns.map((c) => ({
        field: c.name,
        headerName: c.label,
        sortable: true,
        flex: 1,
        type: c.kind === 'number' || c.kind === 'integer' ? 'rightAligned' : undefined,
        valueFormatter: (p) => formatValue(p.value, c.kind === 'date-time' ? 'date-time' : undefined),
      })),
    [result],
  );
  const rows = useMemo(() => rowObjects(result), [result]);
  return (
    <div className="grid-frame report-grid">
      <AgGridReact theme={gridTheme} columnDefs={columns} rowData={rows} domLayout={rows.length <= 15 ? 'autoHeight' : 'normal'} />
    </div>
  );
}

export default function ReportView() {
  const { name = '' } = useParams();
  const reports = useQuery({ queryKey: keys.reports, queryFn: async () => (await listReports()).value });
  const info = reports.data?.find((r) => r.name === name);
  const [parameters, setParameters] = useState<Record<string, unknown>>({});
  const [submitted, setSubmitted] = useState<Record<string, string>>({});
  const result = useQuery({
    queryKey: [...keys.reports, name, submitted],
    queryFn: () => runReport(name, submitted),
    enabled: !!info,
  });
  const chart = result.data ? chartData(result.data) : null;

  if (reports.isPending) return <Loading label="Loading the report" />;
  if (reports.isError) return <ErrorState error={reports.error} retry={() => reports.refetch()} />;
  if (!info) return <EmptyState title={`There is no report “${name}”`}><Link to="/reports">All reports</Link></EmptyState>;

  return (
    <div className="report-screen">
      <PageHeader title={info.display_name} breadcrumb={<Link to="/reports">Reports</Link>} subtitle={info.description} />
      {info.parameters && Object.keys(info.parameters.properties ?? {}).length > 0 && (
        <section className="card" aria-label="Parameters">
          <SchemaForm<Record<string, unknown>>
            id="report-parameters"
            schema={info.parameters}
            formData={parameters}
            extraErrors={result.error instanceof ApiError ? placeProblem(result.error.problem, info.parameters).fields : undefined}
            onChange={setParameters}
            onSubmit={(data) => setSubmitted(reportQuery(data))}
          >
            <div className="form-actions">
              <button type="submit" className="button primary">
                Run report
              </button>
            </div>
          </SchemaForm>
        </section>
      )}
      {result.isPending && <Loading label="Running the report" />}
      {result.isError && <ErrorState error={result.error} retry={() => result.refetch()} />}
      {result.data && result.data.rows.length === 0 && <EmptyState title="The report has no rows" />}
      {result.data && result.data.rows.length > 0 && (
        <>
          {chart && (
            <section className="card" aria-label="Chart">
              <ReportChart chart={chart} title={info.display_name} />
            </section>
          )}
          <section className="card" aria-label="Table">
            <ReportTable result={result.data} />
          </section>
        </>
      )}
    </div>
  );
}
