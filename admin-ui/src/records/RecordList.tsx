// A type's list view: search, column chooser, count, the grid, and a way to create a record.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useAccess } from '../auth/session';
import { useEntityType, useEntityTypes } from '../api/queries';
import { columnFields, defaultColumns } from '../schema/entity';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { ColumnChooser } from './ColumnChooser';
import { RecordGrid } from './RecordGrid';
import { useStoredState } from './useStoredState';

export default function RecordList() {
  const { type: typeName = '' } = useParams();
  const type = useEntityType(typeName);
  const types = useEntityTypes();
  const access = useAccess();
  const [searchInput, setSearchInput] = useState('');
  const [search, setSearch] = useState('');
  const [count, setCount] = useState<number | undefined>(undefined);

  useEffect(() => {
    setSearchInput('');
    setSearch('');
    setCount(undefined);
  }, [typeName]);
  useEffect(() => {
    const timer = setTimeout(() => setSearch(searchInput.trim()), 300);
    return () => clearTimeout(timer);
  }, [searchInput]);

  const schema = type.data?.schema;
  const fields = useMemo(() => (schema ? columnFields(schema) : []), [schema]);
  const initialColumns = useCallback(() => (schema ? defaultColumns(schema, fields) : []), [schema, fields]);
  const [visible, setVisible, resetVisible] = useStoredState(`xrm.columns.${typeName}`, initialColumns);
  const onCount = useCallback((n: number | undefined) => setCount(n), []);

  if (type.isPending) return <Loading label="Loading the entity type" />;
  if (type.isError) return <ErrorState error={type.error} retry={() => type.refetch()} />;
  const entity = type.data;
  const noun = count === 1 ? entity.display_name.toLowerCase() : entity.plural_name.toLowerCase();

  return (
    <div className="list-screen">
      <PageHeader
        title={entity.plural_name}
        subtitle={entity.schema.description}
        actions={
          access.canCreate(entity.name) && (
            <Link className="button primary" to={`/records/${entity.name}/new`}>
              New {entity.display_name.toLowerCase()}
            </Link>
          )
        }
      />
      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">Search {entity.plural_name}</span>
          <input
            type="search"
            placeholder={`Search ${entity.plural_name.toLowerCase()}…`}
            value={searchInput}
            onChange={(event) => setSearchInput(event.target.value)}
          />
        </label>
        <span className="muted" role="status" aria-live="polite">
          {count === undefined ? '' : `${count.toLocaleString()} ${noun}`}
        </span>
        <span className="toolbar-spacer" />
        <ColumnChooser fields={fields} visible={visible} onChange={setVisible} onReset={resetVisible} />
      </div>
      {count === 0 && (
        <EmptyState title={search ? `No ${entity.plural_name.toLowerCase()} match “${search}”` : `No ${entity.plural_name.toLowerCase()} to show`}>
          {search ? 'Try other words, or clear the filters.' : access.canCreate(entity.name) && <Link to={`/records/${entity.name}/new`}>Create one</Link>}
        </EmptyState>
      )}
      <RecordGrid key={entity.name} type={entity} types={types.data ?? []} fields={fields} visible={visible} search={search} onCount={onCount} />
    </div>
  );
}
