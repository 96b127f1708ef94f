// Every entity type, with a way into its designer and its records.
import { Link } from 'react-router-dom';
import { useEntityTypes } from '../api/queries';
import { formatValue } from '../schema/entity';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';

export default function TypeList() {
  const types = useEntityTypes();
  return (
    <>
      <PageHeader
        title="Entity types"
        subtitle="The kinds of records this workspace keeps, each a JSON Schema with x-xrm annotations."
        actions={
          <Link className="button primary" to="/types/new">
            New entity type
          </Link>
        }
      />
      {types.isPending && <Loading label="Loading entity types" />}
      {types.isError && <ErrorState error={types.error} retry={() => types.refetch()} />}
      {types.data?.length === 0 && <EmptyState title="No entity types yet">Create one to start keeping records.</EmptyState>}
      {types.data && types.data.length > 0 && (
        <div className="card table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Display name</th>
                <th scope="col">Name</th>
                <th scope="col">Fields</th>
                <th scope="col">Version</th>
                <th scope="col">Changed</th>
                <th scope="col">
                  <span className="visually-hidden">Records</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {types.data.map((type) => (
                <tr key={type.name}>
                  <td>
                    <Link to={`/types/${type.name}`}>{type.display_name}</Link>
                  </td>
                  <td className="mono">{type.name}</td>
                  <td>{Object.keys(type.schema.properties ?? {}).length}</td>
                  <td>{type.version}</td>
                  <td>{formatValue(type.updated_at, 'date-time')}</td>
                  <td>
                    <Link to={`/records/${type.name}`}>{type.plural_name}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
