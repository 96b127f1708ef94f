import { describe, expect, it } from 'vitest';
import type { ReportResult } from '../api/types';
import { chartData, reportQuery, rowObjects } from './reportData';

const result: ReportResult = {
  name: 'pipeline',
  display_name: 'Pipeline by stage',
  columns: [
    { name: 'stage', label: 'Stage', kind: 'text' },
    { name: 'count', label: 'Opportunities', kind: 'integer' },
    { name: 'value', label: 'Value', kind: 'number' },
  ],
  rows: [
    ['qualify', 4, 1000.5],
    ['propose', 2, 500],
    [null, 1, 0],
  ],
  chart: { kind: 'bar', x: 'stage', y: ['count', 'value'] },
};

describe('report data', () => {
  it('makes one series per y column, labelled by x', () => {
    expect(chartData(result)).toEqual({
      kind: 'bar',
      labels: ['qualify', 'propose', '—'],
      series: [
        { label: 'Opportunities', data: [4, 2, 1] },
        { label: 'Value', data: [1000.5, 500, 0] },
      ],
    });
  });

  it('has no chart when none is asked for or a column is unknown', () => {
    expect(chartData({ ...result, chart: null })).toBeNull();
    expect(chartData({ ...result, chart: { kind: 'pie', x: 'nope', y: ['count'] } })).toBeNull();
  });

  it('keys rows by column name', () => {
    expect(rowObjects(result)[0]).toEqual({ stage: 'qualify', count: 4, value: 1000.5 });
  });

  it('turns parameters into query parameters, skipping empty ones', () => {
    expect(reportQuery({ from: '2025-01-01', top: 10, none: '', tiers: ['gold'] })).toEqual({ from: '2025-01-01', top: '10', tiers: '["gold"]' });
  });
});
