import { describe, expect, it } from 'vitest';
import { andFilters, literal, toFilter, toOrderBy } from './listQuery';

describe('grid filter model → $filter', () => {
  it('quotes text literals OData style', () => {
    expect(literal("O'Brien")).toBe("'O''Brien'");
    expect(literal(12.5)).toBe('12.5');
    expect(literal(true)).toBe('true');
  });

  it('maps text conditions', () => {
    expect(toFilter({ name: { filterType: 'text', type: 'contains', filter: 'nord' } })).toBe("contains(name, 'nord')");
    expect(toFilter({ name: { filterType: 'text', type: 'notContains', filter: 'x' } })).toBe("not contains(name, 'x')");
    expect(toFilter({ name: { filterType: 'text', type: 'startsWith', filter: 'A' } })).toBe("startswith(name, 'A')");
    expect(toFilter({ 'billing_address/city': { filterType: 'text', type: 'equals', filter: 'Oslo' } })).toBe(
      "billing_address/city eq 'Oslo'",
    );
    expect(toFilter({ email: { filterType: 'text', type: 'blank' } })).toBe('email eq null');
    expect(toFilter({ name: { filterType: 'text', type: 'contains', filter: '' } })).toBe('');
  });

  it('maps number conditions, ranges inclusive', () => {
    expect(toFilter({ value: { filterType: 'number', type: 'greaterThan', filter: 1000 } })).toBe('value gt 1000');
    expect(toFilter({ value: { filterType: 'number', type: 'inRange', filter: 1, filterTo: 5 } })).toBe('(value ge 1 and value le 5)');
  });

  it('maps dates to day ranges that work for dates and date-times', () => {
    const on = { filterType: 'date' as const, type: 'equals' as const, dateFrom: '2025-03-01 00:00:00' };
    expect(toFilter({ start_date: on }, { start_date: 'date' })).toBe("start_date eq '2025-03-01'");
    expect(toFilter({ created_at: on }, { created_at: 'date-time' })).toBe(
      "(created_at ge '2025-03-01' and created_at lt '2025-03-02')",
    );
    expect(toFilter({ end_date: { filterType: 'date', type: 'greaterThan', dateFrom: '2025-12-31 00:00:00' } })).toBe(
      "end_date ge '2026-01-01'",
    );
  });

  it('maps choices to in lists and booleans to eq', () => {
    expect(toFilter({ status: { filterType: 'choice', values: ['active'] } })).toBe("status eq 'active'");
    expect(toFilter({ status: { filterType: 'choice', values: ['active', 'expiring'] } })).toBe("status in ('active', 'expiring')");
    expect(toFilter({ auto_renew: { filterType: 'choice', values: [true, false] } })).toBe('(auto_renew eq true or auto_renew eq false)');
  });

  it('joins two conditions of a column and several columns', () => {
    expect(
      toFilter({
        name: {
          filterType: 'text',
          operator: 'OR',
          conditions: [
            { filterType: 'text', type: 'startsWith', filter: 'A' },
            { filterType: 'text', type: 'startsWith', filter: 'B' },
          ],
        },
        value: { filterType: 'number', type: 'lessThan', filter: 10 },
      }),
    ).toBe("(startswith(name, 'A') or startswith(name, 'B')) and value lt 10");
  });

  it('combines fixed filters with the user filter', () => {
    expect(andFilters(undefined, "status eq 'a'")).toBe("status eq 'a'");
    expect(andFilters("a eq 1", "b eq 2 or c eq 3")).toBe('(a eq 1) and (b eq 2 or c eq 3)');
  });
});

describe('grid sort model → $orderby', () => {
  it('keeps the order of the sort keys', () => {
    expect(toOrderBy([{ colId: 'value', sort: 'desc' }, { colId: 'name', sort: 'asc' }])).toBe('value desc, name');
    expect(toOrderBy([])).toBe('');
  });
});
