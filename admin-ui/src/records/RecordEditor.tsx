// Create and edit forms generated from the entity schema; server errors land on their fields and a
// 412 offers to reload the record and re-apply the user's changes.
import type { ErrorSchema } from '@rjsf/utils';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { toast } from 'sonner';
import { createRecord, getRecord, replaceRecord } from '../api/endpoints';
import { ApiError, errorMessage } from '../api/problem';
import { keys, useEntityType } from '../api/queries';
import type { EntityType, RecordData } from '../api/types';
import { SchemaForm } from '../forms/SchemaForm';
import { annotations, dataFields, recordTitle } from '../schema/entity';
import { recordForm, restrictForm, writableData } from '../schema/recordForm';
import { typePermissions } from '../auth/permissions';
import { useAccess } from '../auth/session';
import { PageHeader } from '../ui/PageHeader';
import { ErrorState, Loading } from '../ui/States';
import { placeProblem } from './fieldErrors';
import { reapply } from './reapply';

type Data = Record<string, unknown>;

interface Conflict {
  currentVersion?: number;
  mine: Data;
}

function initialData(type: EntityType, params: URLSearchParams): Data {
  // A related list's "New" link pre-fills the lookup it came from, e.g. ?customer_id=….
  const data: Data = {};
  for (const [key, value] of params) if (type.schema.properties?.[key]) data[key] = value;
  return data;
}

function EditorForm({ type, record }: { type: EntityType; record?: RecordData }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [searchParams] = useSearchParams();
  const [base, setBase] = useState<{ data: Data; version: number } | null>(
    record ? { data: dataFields(record), version: record.version } : null,
  );
  const [formData, setFormData] = useState<Data>(() => (record ? dataFields(record) : initialData(type, searchParams)));
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>(undefined);
  const [general, setGeneral] = useState<string[]>([]);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [mergedFields, setMergedFields] = useState<string[] | null>(null);
  const [saving, setSaving] = useState(false);

  const stateField = annotations(type.schema).state_machine?.field;
  const currentState = base && stateField ? (base.data[stateField] as string | undefined) : undefined;
  const permissions = useAccess().session.permissions;
  const form = useMemo(() => {
    const mode = base ? ({ kind: 'edit', currentState } as const) : ({ kind: 'create' } as const);
    return restrictForm(recordForm(type, mode), typePermissions(permissions, type.name).fields, mode);
  }, [type, base, currentState, permissions]);
  const listUrl = `/records/${type.name}`;

  const save = async (data: Data) => {
    setSaving(true);
    setExtraErrors(undefined);
    setGeneral([]);
    try {
      const body = writableData(data, typePermissions(permissions, type.name).fields);
      const saved = base && record ? await replaceRecord(type.name, record.id, body, base.version) : await createRecord(type.name, body);
      queryClient.invalidateQueries({ queryKey: keys.records(type.name) });
      toast.success(`${type.display_name} “${recordTitle(type, saved)}” saved`);
      navigate(`${listUrl}/${saved.id}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        setConflict({ mine: data, currentVersion: error.problem.current_version as number | undefined });
      } else if (error instanceof ApiError && error.problem.errors.length) {
        const placed = placeProblem(error.problem, form.schema);
        setExtraErrors(placed.fields);
        setGeneral([error.message, ...placed.general]);
      } else {
        setGeneral([errorMessage(error)]);
      }
    } finally {
      setSaving(false);
    }
  };

  const reloadAndReapply = async () => {
    if (!record || !base || !conflict) return;
    try {
      const latest = await getRecord(type.name, record.id);
      const result = reapply(base.data, conflict.mine, dataFields(latest));
      setBase({ data: dataFields(latest), version: latest.version });
      setFormData(result.merged);
      setMergedFields(result.conflicts);
      setConflict(null);
      queryClient.setQueryData(keys.record(type.name, record.id), latest);
    } catch (error) {
      setGeneral([errorMessage(error)]);
    }
  };

  return (
    <>
      {base && (
        <p className="muted" data-testid="editing-version">
          Editing version {base.version}
        </p>
      )}
      {conflict && (
        <div className="notice warning" role="alert">
          <strong>Someone else changed this record while you were editing it.</strong>
          <p>
            It is now at version {conflict.currentVersion ?? 'newer'}; yours was based on version {base?.version}. Nothing was
            saved. Reload the latest version and your changes are applied on top of it for you to review.
          </p>
          <button type="button" className="button primary" onClick={reloadAndReapply}>
            Reload and re-apply my changes
          </button>
        </div>
      )}
      {mergedFields && (
        <div className="notice info" role="status">
          Your changes were applied to version {base?.version}. Review and save.
          {mergedFields.length > 0 && <> Both of you changed: {mergedFields.join(', ')} (your values are kept).</>}
        </div>
      )}
      {general.length > 0 && (
        <div className="notice error" role="alert">
          {general.map((message) => (
            <p key={message}>{message}</p>
          ))}
        </div>
      )}
      <SchemaForm<Data>
        id="record-form"
        schema={form.schema}
        uiSchema={form.uiSchema}
        formData={formData}
        extraErrors={extraErrors}
        disabled={saving}
        onChange={setFormData}
        onSubmit={save}
      >
        <div className="form-actions sticky-actions">
          <button type="submit" className="button primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <Link className="button" to={record ? `${listUrl}/${record.id}` : listUrl}>
            Cancel
          </Link>
        </div>
      </SchemaForm>
    </>
  );
}

export default function RecordEditor() {
  const { type: typeName = '', id } = useParams();
  const type = useEntityType(typeName);
  const record = useQuery({
    queryKey: keys.record(typeName, id ?? ''),
    queryFn: () => getRecord(typeName, id!),
    enabled: !!id,
    staleTime: 0,
  });

  if (type.isPending || (id && record.isPending)) return <Loading label="Loading the form" />;
  if (type.isError) return <ErrorState error={type.error} retry={() => type.refetch()} />;
  if (id && record.isError) return <ErrorState error={record.error} retry={() => record.refetch()} />;
  const entity = type.data;
  const title = record.data ? `Edit ${recordTitle(entity, record.data)}` : `New ${entity.display_name.toLowerCase()}`;
  return (
    <div className="form-screen">
      <PageHeader
        title={title}
        breadcrumb={<Link to={`/records/${entity.name}`}>{entity.plural_name}</Link>}
        subtitle={record.data ? entity.display_name : entity.schema.description}
      />
      <EditorForm key={record.data?.id ?? 'new'} type={entity} record={record.data} />
    </div>
  );
}
