// A report's rows → what the table and the chart show.
import type { ReportResult } from '../api/types';

export interface ChartSeries {
  label: string;
  data: number[];
}

export interface ChartData {
  kind: 'bar' | 'line' | 'pie';
  labels: string[];
  series: ChartSeries[];
}

/** The chart the report asks for, from its column names; null when it asks for none or names unknown columns. */
export function chartData(result: ReportResult): ChartData | null {
  const chart = result.chart;
  if (!chart) return null;
  const index = (name: string) => result.columns.findIndex((c) => c.name === name);
  const x = index(chart.x);
  const ys = chart.y.map(index);
  if (x < 0 || ys.some((i) => i < 0) || ys.length === 0) return null;
  return {
    kind: chart.kind,
    labels: result.rows.map((row) => (row[x] === null || row[x] === undefined ? '—' : String(row[x]))),
    series: ys.map((i) => ({
      label: result.columns[i].label,
      data: result.rows.map((row) => (typeof row[i] === 'number' ? (row[i] as number) : Number(row[i]) || 0)),
    })),
  };
}

/** Rows as objects keyed by column name, for the grid. */
export function rowObjects(result: ReportResult): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
}

/** Report parameters from the form, as query parameters (objects and arrays as JSON). */
export function reportQuery(parameters: Record<string, unknown>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined || value === null || value === '') continue;
    query[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return query;
}
