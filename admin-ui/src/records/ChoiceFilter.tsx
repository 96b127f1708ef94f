// The grid's filter for enums and booleans: tick the values to show (`field in (…)`).
import type { CustomFilterProps } from 'ag-grid-react';
import { useGridFilter } from 'ag-grid-react';
import { useCallback, useId } from 'react';
import type { ChoiceCondition } from './listQuery';

export interface ChoiceFilterParams {
  values: (string | boolean)[];
}

export function ChoiceFilter({ model, onModelChange, colDef, values }: CustomFilterProps<unknown, unknown, ChoiceCondition> & ChoiceFilterParams) {
  const groupId = useId();
  // Rows are filtered by the server; the grid never asks this filter about a row it holds.
  const doesFilterPass = useCallback(() => true, []);
  useGridFilter({ doesFilterPass });
  const selected = model?.values ?? [];
  const toggle = (value: string | boolean) => {
    const next = selected.includes(value) ? selected.filter((v) => v !== value) : [...selected, value];
    onModelChange(next.length ? { filterType: 'choice', values: next } : null);
  };
  return (
    <fieldset className="choice-filter" aria-labelledby={groupId}>
      <legend id={groupId}>Show {colDef.headerName}</legend>
      {values.map((value) => (
        <label key={String(value)}>
          <input type="checkbox" checked={selected.includes(value)} onChange={() => toggle(value)} />
          {typeof value === 'boolean' ? (value ? 'Yes' : 'No') : value}
        </label>
      ))}
      <button type="button" className="button small" onClick={() => onModelChange(null)} disabled={!selected.length}>
        Clear
      </button>
    </fieldset>
  );
}
