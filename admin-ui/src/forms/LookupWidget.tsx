// The rjsf widget for lookup fields: a searchable picker of the target type's records ($search).
import type { WidgetProps } from '@rjsf/utils';
import { useQuery } from '@tanstack/react-query';
import AsyncSelect from 'react-select/async';
import { getRecord, listRecords } from '../api/endpoints';
import { keys, useEntityType } from '../api/queries';
import { annotations, recordTitle } from '../schema/entity';

interface Option {
  value: string;
  label: string;
}

export function LookupWidget({ id, value, onChange, onBlur, onFocus, options, disabled, readonly, required, rawErrors, label }: WidgetProps) {
  const targetName = String(options.target ?? '');
  const target = useEntityType(targetName);
  const selectedId = typeof value === 'string' && value ? value : undefined;
  const selected = useQuery({
    queryKey: keys.record(targetName, selectedId ?? ''),
    queryFn: () => getRecord(targetName, selectedId!),
    enabled: !!selectedId,
    retry: false,
  });

  const loadOptions = async (input: string): Promise<Option[]> => {
    const titleField = target.data ? annotations(target.data.schema).title_field : undefined;
    const page = await listRecords(targetName, {
      $search: input.trim() || undefined,
      $orderby: input.trim() || !titleField ? undefined : titleField,
      $top: 20,
    });
    return page.value.map((record) => ({ value: record.id, label: recordTitle(target.data, record) }));
  };

  const current: Option | null = selectedId
    ? { value: selectedId, label: selected.data ? recordTitle(target.data, selected.data) : selected.isError ? `${selectedId} (not found)` : 'Loading…' }
    : null;

  return (
    <AsyncSelect<Option>
      key={target.data ? 'ready' : 'loading'}
      inputId={id}
      aria-label={label}
      aria-invalid={!!rawErrors?.length}
      aria-required={required}
      classNamePrefix="lookup"
      className="lookup"
      cacheOptions
      defaultOptions
      isClearable
      isDisabled={disabled || readonly}
      loadOptions={loadOptions}
      value={current}
      placeholder={`Search ${target.data?.plural_name.toLowerCase() ?? targetName}…`}
      noOptionsMessage={({ inputValue }) => (inputValue ? `No ${targetName} matches “${inputValue}”` : `No ${targetName} records`)}
      onChange={(option) => onChange(option ? option.value : undefined)}
      onBlur={() => onBlur(id, value)}
      onFocus={() => onFocus(id, value)}
    />
  );
}
