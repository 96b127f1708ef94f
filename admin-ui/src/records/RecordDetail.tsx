// One record: its fields, system information, plugin actions, and the lists of records that point at it.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { toast } from 'sonner';
import { deleteRecord, getRecord } from '../api/endpoints';
import { keys, useEntityType, useEntityTypes, useMembers, useTeams } from '../api/queries';
import type { Member } from '../api/types';
import { formatValue, recordTitle, relationsTo } from '../schema/entity';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { ErrorState, Loading } from '../ui/States';
import { useAccess } from '../auth/session';
import { ActionButtons } from './ActionButtons';
import { AssignDialog } from './AssignDialog';
import { RecordHistory } from './RecordHistory';
import { FieldValues } from './FieldValues';
import { RelatedList } from './RelatedList';

/** How an owner is shown: their display name, else their e-mail. */
const memberName = (member: Member | undefined) => (member ? member.display_name || member.email : undefined);

export default function RecordDetail() {
  const { type: typeName = '', id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const type = useEntityType(typeName);
  const types = useEntityTypes();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [assigning, setAssigning] = useState(false);
  const [tab, setTab] = useState<'details' | 'history'>('details');
  const access = useAccess();
  const users = useMembers();
  const teams = useTeams();
  const record = useQuery({
    queryKey: keys.record(typeName, id),
    queryFn: () => getRecord(typeName, id),
    staleTime: 0,
  });

  if (type.isPending || record.isPending) return <Loading label="Loading the record" />;
  if (type.isError) return <ErrorState error={type.error} retry={() => type.refetch()} />;
  if (record.isError) return <ErrorState error={record.error} retry={() => record.refetch()} />;
  const entity = type.data;
  const data = record.data;
  const title = recordTitle(entity, data);
  const relations = relationsTo(entity.name, types.data ?? []);
  const canUpdate = access.can('update', entity.name, data);
  const canDelete = access.can('delete', entity.name, data);
  const canAct = access.can('actions', entity.name, data);
  const ownerId = typeof data.owned_by === 'string' ? data.owned_by : null;
  const teamId = typeof data.owning_team === 'string' ? data.owning_team : null;
  const ownerName = ownerId
    ? ownerId === access.session.user.id
      ? `${access.session.user.display_name || access.session.user.email} (you)`
      : (memberName(users.data?.find((u) => u.id === ownerId)) ?? ownerId)
    : 'nobody';
  const teamName = teamId ? (teams.data?.find((t) => t.id === teamId)?.name ?? teamId) : 'no team';

  const remove = async () => {
    await deleteRecord(entity.name, data.id, data.version);
    setConfirmDelete(false);
    await queryClient.invalidateQueries({ queryKey: keys.records(entity.name) });
    toast.success(`${entity.display_name} “${title}” deleted`);
    navigate(`/records/${entity.name}`);
  };

  return (
    <div className="detail-screen">
      <PageHeader
        title={title}
        breadcrumb={<Link to={`/records/${entity.name}`}>{entity.plural_name}</Link>}
        subtitle={`${entity.display_name} · version ${data.version}`}
        actions={
          <>
            {canUpdate && (
              <Link className="button primary" to={`/records/${entity.name}/${data.id}/edit`}>
                Edit
              </Link>
            )}
            {canAct && <ActionButtons typeName={entity.name} recordId={data.id} />}
            {canUpdate && (
              <button type="button" className="button" onClick={() => setAssigning(true)}>
                Assign
              </button>
            )}
            {canDelete && (
              <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            )}
          </>
        }
      />
      <div className="tabs" role="tablist" aria-label="Record">
        <button type="button" role="tab" aria-selected={tab === 'details'} onClick={() => setTab('details')}>
          Details
        </button>
        <button type="button" role="tab" aria-selected={tab === 'history'} onClick={() => setTab('history')}>
          History
        </button>
      </div>
      {tab === 'history' && <RecordHistory type={entity.name} id={data.id} />}
      {tab === 'details' && (
      <>
      <div className="detail-layout">
        <section className="card" aria-label="Fields">
          <FieldValues type={entity} record={data} types={types.data ?? []} />
        </section>
        <aside className="card system-info" aria-label="System information">
          <dl className="fields compact">
            <div className="field">
              <dt>Owned by</dt>
              <dd>{ownerName}</dd>
            </div>
            <div className="field">
              <dt>Owning team</dt>
              <dd>{teamName}</dd>
            </div>
            <div className="field">
              <dt>Id</dt>
              <dd className="mono">{data.id}</dd>
            </div>
            <div className="field">
              <dt>Created</dt>
              <dd>
                {formatValue(data.created_at, 'date-time')} by {data.created_by}
              </dd>
            </div>
            <div className="field">
              <dt>Last changed</dt>
              <dd>
                {formatValue(data.updated_at, 'date-time')} by {data.updated_by}
              </dd>
            </div>
          </dl>
        </aside>
      </div>
      {relations.map(({ type: source, via }) => (
        <RelatedList
          key={`${source.name}.${via}`}
          parentType={entity.name}
          parentId={data.id}
          source={source}
          via={via}
          showVia={source.name === entity.name || relations.filter((r) => r.type.name === source.name).length > 1}
        />
      ))}
      </>
      )}
      {assigning && <AssignDialog type={entity.name} record={data} onClose={() => setAssigning(false)} />}
      <ConfirmDialog
        title={`Delete ${entity.display_name.toLowerCase()}`}
        open={confirmDelete}
        confirmLabel="Delete"
        onConfirm={remove}
        onClose={() => setConfirmDelete(false)}
      >
        <p>
          Delete “{title}”? Records that point at it follow their lookup’s rule: the delete is refused, they are deleted
          too, or their link is cleared.
        </p>
      </ConfirmDialog>
    </div>
  );
}
