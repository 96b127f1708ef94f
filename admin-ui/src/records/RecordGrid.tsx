// A type's records in AG Grid's infinite row model: sort and filter on the server ($orderby,
// $filter), full-text search ($search), keyset paging through `next_cursor`.
import type { CellKeyDownEvent, FullWidthCellKeyDownEvent, GridState, IDatasource, StateUpdatedEvent, IGetRowsParams, RowClickedEvent, SortModelItem } from 'ag-grid-community';
import { AgGridReact } from 'ag-grid-react';
import { useCallback, useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { listRecords } from '../api/endpoints';
import { errorMessage } from '../api/problem';
import type { EntityType, RecordData } from '../api/types';
import { type ColumnField, type ColumnType } from '../schema/entity';
import { columnDefs } from './columns';
import { CursorPager } from './cursorPager';
import { gridTheme } from './gridSetup';
import { toFilter, toOrderBy, type FilterModel } from './listQuery';

const PAGE_SIZE = 100;

/** Sort and filters survive a visit to a record and back (per type, for the browser tab's life). */
function storedState(typeName: string): GridState | undefined {
  try {
    const stored = sessionStorage.getItem(`xrm.grid.${typeName}`);
    return stored ? (JSON.parse(stored) as GridState) : undefined;
  } catch {
    return undefined;
  }
}

function storeState(typeName: string, event: StateUpdatedEvent) {
  const { sort, filter } = event.state;
  sessionStorage.setItem(`xrm.grid.${typeName}`, JSON.stringify({ sort, filter }));
}

interface Props {
  type: EntityType;
  types: EntityType[];
  fields: ColumnField[];
  visible: string[];
  search: string;
  onCount: (count: number | undefined) => void;
}

export function RecordGrid({ type, types, fields, visible, search, onCount }: Props) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const columns = useMemo(() => columnDefs(type, fields, visible, types), [type, fields, visible, types]);
  const columnTypes = useMemo(
    () => Object.fromEntries(fields.map((f) => [f.path, f.type])) as Record<string, ColumnType>,
    [fields],
  );
  const expand = useMemo(() => fields.filter((f) => f.lookup).map((f) => f.path).join(','), [fields]);

  const datasource = useMemo<IDatasource>(() => {
    const pagers = new Map<string, CursorPager<RecordData>>();
    return {
      getRows: (params: IGetRowsParams) => {
        let filter: string;
        try {
          filter = toFilter(params.filterModel as FilterModel, columnTypes);
        } catch (caught) {
          setError(errorMessage(caught));
          params.failCallback();
          return;
        }
        const orderby = toOrderBy(params.sortModel as SortModelItem[]);
        const queryKey = JSON.stringify([filter, orderby, search]);
        let pager = pagers.get(queryKey);
        if (!pager) {
          pagers.clear();
          pager = new CursorPager<RecordData>(
            (cursor, size) =>
              listRecords(type.name, {
                $filter: filter || undefined,
                $orderby: orderby || undefined,
                $search: search || undefined,
                $expand: expand || undefined,
                $top: size,
                $count: cursor ? undefined : true,
                $cursor: cursor,
              }),
            PAGE_SIZE,
          );
          pagers.set(queryKey, pager);
        }
        pager
          .rows(params.startRow)
          .then((page) => {
            setError(null);
            if (params.startRow === 0) onCount(page.count);
            params.successCallback(page.rows, page.lastRow);
          })
          .catch((caught: unknown) => {
            setError(errorMessage(caught));
            onCount(undefined);
            params.failCallback();
          });
      },
    };
  }, [type.name, search, expand, columnTypes, onCount]);

  const onRowClicked = useCallback(
    (event: RowClickedEvent<RecordData>) => {
      // A click on a link in the row (the title, a lookup) navigates by itself.
      if ((event.event?.target as Element | null)?.closest('a')) return;
      if (event.data) navigate(`/records/${type.name}/${event.data.id}`);
    },
    [navigate, type.name],
  );

  // Keyboard users move through cells with the arrow keys and open the focused row with Enter.
  const onCellKeyDown = useCallback(
    (event: CellKeyDownEvent<RecordData> | FullWidthCellKeyDownEvent<RecordData>) => {
      const key = (event.event as KeyboardEvent | null)?.key;
      if (key === 'Enter' && event.data) navigate(`/records/${type.name}/${event.data.id}`);
    },
    [navigate, type.name],
  );

  const initialState = useMemo(() => storedState(type.name), [type.name]);
  const onStateUpdated = useCallback((event: StateUpdatedEvent) => storeState(type.name, event), [type.name]);

  return (
    <>
      {error && (
        <p className="notice error" role="alert">
          The list could not be loaded: {error}
        </p>
      )}
      <div className="grid-frame">
        <AgGridReact<RecordData>
          theme={gridTheme}
          columnDefs={columns}
          rowModelType="infinite"
          datasource={datasource}
          cacheBlockSize={PAGE_SIZE}
          maxBlocksInCache={50}
          maxConcurrentDatasourceRequests={1}
          infiniteInitialRowCount={1}
          getRowId={(params) => params.data.id}
          onRowClicked={onRowClicked}
          onCellKeyDown={onCellKeyDown}
          initialState={initialState}
          onStateUpdated={onStateUpdated}
          rowClass="clickable-row"
          multiSortKey="ctrl"
          tooltipShowDelay={400}
        />
      </div>
    </>
  );
}
