// Grid column definitions from an entity type's fields: filters and renderers by field type.
import type { ColDef, ICellRendererParams } from 'ag-grid-community';
import { Link } from 'react-router-dom';
import type { EntityType, RecordData } from '../api/types';
import { annotations, formatValue, recordTitle, valueAt, type ColumnField } from '../schema/entity';
import { ChoiceFilter } from './ChoiceFilter';

const TEXT_OPTIONS = ['contains', 'notContains', 'equals', 'notEqual', 'startsWith', 'endsWith', 'blank', 'notBlank'];
const NUMBER_OPTIONS = ['equals', 'notEqual', 'lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual', 'inRange', 'blank', 'notBlank'];
const DATE_OPTIONS = ['equals', 'notEqual', 'lessThan', 'greaterThan', 'inRange', 'blank', 'notBlank'];
const BUTTONS = ['apply', 'reset'];

function TitleCell({ data, value, typeName }: ICellRendererParams<RecordData> & { typeName: string }) {
  if (!data) return null;
  return <Link to={`/records/${typeName}/${data.id}`}>{value ? String(value) : data.id}</Link>;
}

function LookupCell({ data, field, targetType }: ICellRendererParams<RecordData> & { field: string; targetType?: EntityType }) {
  const id = data?.[field];
  if (!data || typeof id !== 'string') return null;
  const target = data._expand?.[field];
  const label = target ? recordTitle(targetType, target) : id;
  return (
    <Link to={`/records/${targetType?.name ?? ''}/${id}`} onClick={(event) => event.stopPropagation()}>
      {label}
    </Link>
  );
}

function filterFor(field: ColumnField): Partial<ColDef<RecordData>> {
  switch (field.type) {
    case 'text':
      return { filter: 'agTextColumnFilter', filterParams: { filterOptions: TEXT_OPTIONS, maxNumConditions: 2, buttons: BUTTONS, closeOnApply: true } };
    case 'number':
      return {
        filter: 'agNumberColumnFilter',
        filterParams: { filterOptions: NUMBER_OPTIONS, inRangeInclusive: true, maxNumConditions: 2, buttons: BUTTONS, closeOnApply: true },
      };
    case 'date':
    case 'date-time':
      return { filter: 'agDateColumnFilter', filterParams: { filterOptions: DATE_OPTIONS, maxNumConditions: 1, buttons: BUTTONS, closeOnApply: true } };
    case 'enum':
      return { filter: ChoiceFilter, filterParams: { values: field.enumValues } };
    case 'boolean':
      return { filter: ChoiceFilter, filterParams: { values: [true, false] } };
    case 'lookup':
      return { filter: 'agTextColumnFilter', filterParams: { filterOptions: ['blank', 'notBlank'], maxNumConditions: 1, buttons: BUTTONS, closeOnApply: true } };
  }
}

export function columnDefs(type: EntityType, fields: ColumnField[], visible: string[], types: EntityType[]): ColDef<RecordData>[] {
  const titleField = annotations(type.schema).title_field;
  return fields.map((field) => {
    const def: ColDef<RecordData> = {
      colId: field.path,
      headerName: field.label,
      headerTooltip: field.label,
      hide: !visible.includes(field.path),
      sortable: true,
      minWidth: 110,
      flex: 1,
      valueGetter: (params) => (params.data ? valueAt(params.data, field.path) : undefined),
      valueFormatter: (params) => formatValue(params.value, field.type),
      ...filterFor(field),
    };
    if (field.path === titleField) {
      def.cellRenderer = TitleCell;
      def.cellRendererParams = { typeName: type.name };
      def.minWidth = 180;
      def.flex = 2;
    } else if (field.lookup) {
      def.cellRenderer = LookupCell;
      def.cellRendererParams = { field: field.path, targetType: types.find((t) => t.name === field.lookup!.target) };
    }
    if (field.type === 'number') def.type = 'rightAligned';
    return def;
  });
}
