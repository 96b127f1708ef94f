// The grid's filter and sort models → the API's `$filter` and `$orderby`.
import type { ColumnType } from '../schema/entity';

export type TextCondition = {
  filterType: 'text';
  type: 'contains' | 'notContains' | 'equals' | 'notEqual' | 'startsWith' | 'endsWith' | 'blank' | 'notBlank';
  filter?: string | null;
};

export type NumberCondition = {
  filterType: 'number';
  type:
    | 'equals'
    | 'notEqual'
    | 'lessThan'
    | 'lessThanOrEqual'
    | 'greaterThan'
    | 'greaterThanOrEqual'
    | 'inRange'
    | 'blank'
    | 'notBlank';
  filter?: number | null;
  filterTo?: number | null;
};

export type DateCondition = {
  filterType: 'date';
  type: 'equals' | 'notEqual' | 'lessThan' | 'greaterThan' | 'inRange' | 'blank' | 'notBlank';
  /** The grid writes `YYYY-MM-DD hh:mm:ss`; only the day is used. */
  dateFrom?: string | null;
  dateTo?: string | null;
};

/** The model of the choice filter (enums, booleans, lookups' null check): any of the values. */
export type ChoiceCondition = { filterType: 'choice'; values: (string | boolean)[] };

export type Condition = TextCondition | NumberCondition | DateCondition | ChoiceCondition;

export type ColumnFilter =
  | Condition
  | { filterType: Condition['filterType']; operator: 'AND' | 'OR'; conditions: Condition[] };

export type FilterModel = Record<string, ColumnFilter>;

export interface SortItem {
  colId: string;
  sort: 'asc' | 'desc';
}

/** An OData string literal: quotes doubled. */
export function literal(value: string | number | boolean): string {
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  return String(value);
}

function day(dateTime: string | null | undefined): string | null {
  return dateTime ? dateTime.slice(0, 10) : null;
}

function nextDay(isoDay: string): string {
  const date = new Date(`${isoDay}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/**
 * Dates and date-times are stored as fixed-width ISO text, so a day is a text range:
 * `created_at ge '2025-03-01' and created_at lt '2025-03-02'` is the whole of 1 March.
 */
function dateCondition(path: string, condition: DateCondition, columnType: ColumnType | undefined): string | null {
  const from = day(condition.dateFrom);
  const to = day(condition.dateTo);
  const exact = columnType === 'date';
  switch (condition.type) {
    case 'blank':
      return `${path} eq null`;
    case 'notBlank':
      return `${path} ne null`;
    case 'equals':
      if (!from) return null;
      return exact ? `${path} eq ${literal(from)}` : `(${path} ge ${literal(from)} and ${path} lt ${literal(nextDay(from))})`;
    case 'notEqual':
      if (!from) return null;
      return exact ? `${path} ne ${literal(from)}` : `(${path} lt ${literal(from)} or ${path} ge ${literal(nextDay(from))})`;
    case 'lessThan':
      return from ? `${path} lt ${literal(from)}` : null;
    case 'greaterThan':
      return from ? `${path} ge ${literal(nextDay(from))}` : null;
    case 'inRange':
      return from && to ? `(${path} ge ${literal(from)} and ${path} lt ${literal(nextDay(to))})` : null;
  }
}

const NUMBER_OPERATORS = {
  equals: 'eq',
  notEqual: 'ne',
  lessThan: 'lt',
  lessThanOrEqual: 'le',
  greaterThan: 'gt',
  greaterThanOrEqual: 'ge',
} as const;

function numberCondition(path: string, condition: NumberCondition): string | null {
  if (condition.type === 'blank') return `${path} eq null`;
  if (condition.type === 'notBlank') return `${path} ne null`;
  if (condition.filter === null || condition.filter === undefined) return null;
  if (condition.type === 'inRange') {
    if (condition.filterTo === null || condition.filterTo === undefined) return null;
    return `(${path} ge ${condition.filter} and ${path} le ${condition.filterTo})`;
  }
  return `${path} ${NUMBER_OPERATORS[condition.type]} ${condition.filter}`;
}

function textCondition(path: string, condition: TextCondition): string | null {
  if (condition.type === 'blank') return `${path} eq null`;
  if (condition.type === 'notBlank') return `${path} ne null`;
  const text = condition.filter;
  if (!text) return null;
  switch (condition.type) {
    case 'contains':
      return `contains(${path}, ${literal(text)})`;
    case 'notContains':
      return `not contains(${path}, ${literal(text)})`;
    case 'startsWith':
      return `startswith(${path}, ${literal(text)})`;
    case 'endsWith':
      return `endswith(${path}, ${literal(text)})`;
    case 'equals':
      return `${path} eq ${literal(text)}`;
    case 'notEqual':
      return `${path} ne ${literal(text)}`;
  }
}

function choiceCondition(path: string, condition: ChoiceCondition): string | null {
  if (condition.values.length === 0) return null;
  if (condition.values.length === 1) return `${path} eq ${literal(condition.values[0])}`;
  if (condition.values.every((v) => typeof v === 'string')) return `${path} in (${condition.values.map(literal).join(', ')})`;
  return `(${condition.values.map((v) => `${path} eq ${literal(v)}`).join(' or ')})`;
}

function condition(path: string, condition: Condition, columnType: ColumnType | undefined): string | null {
  switch (condition.filterType) {
    case 'text':
      return textCondition(path, condition);
    case 'number':
      return numberCondition(path, condition);
    case 'date':
      return dateCondition(path, condition, columnType);
    case 'choice':
      return choiceCondition(path, condition);
  }
}

/** `$filter` for the grid's filter model: every column's condition, joined with `and`. */
export function toFilter(model: FilterModel, columnTypes: Record<string, ColumnType> = {}): string {
  const parts: string[] = [];
  for (const [path, filter] of Object.entries(model)) {
    if ('conditions' in filter) {
      const inner = filter.conditions
        .map((c) => condition(path, c, columnTypes[path]))
        .filter((c): c is string => c !== null);
      if (inner.length === 1) parts.push(inner[0]);
      else if (inner.length > 1) parts.push(`(${inner.join(filter.operator === 'OR' ? ' or ' : ' and ')})`);
    } else {
      const single = condition(path, filter, columnTypes[path]);
      if (single) parts.push(single);
    }
  }
  return parts.join(' and ');
}

/** `$orderby` for the grid's sort model, in the order the user chose the columns. */
export function toOrderBy(sort: SortItem[]): string {
  return sort.map((s) => (s.sort === 'desc' ? `${s.colId} desc` : s.colId)).join(', ');
}

/** `$filter` for the search box's companions: the user's filter and a fixed one (e.g. a lookup). */
export function andFilters(...filters: (string | undefined)[]): string {
  const present = filters.filter((f): f is string => !!f);
  if (present.length <= 1) return present[0] ?? '';
  return present.map((f) => `(${f})`).join(' and ');
}
