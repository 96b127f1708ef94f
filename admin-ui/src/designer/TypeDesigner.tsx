// Create or change an entity type: the field editor and the raw JSON Schema are two views of one
// document; saving shows the host's verdict, including records a change would invalidate.
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { toast } from 'sonner';
import { createEntityType, deleteEntityType, updateEntityType } from '../api/endpoints';
import { ApiError, errorMessage } from '../api/problem';
import { keys, useEntityType, useEntityTypes } from '../api/queries';
import type { EntityType, JsonSchema } from '../api/types';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { ErrorState, Loading } from '../ui/States';
import { FieldTable } from './FieldTable';
import { InvalidRecordsReport, type StoredRecordsReport } from './InvalidRecordsReport';
import { checkSchemaText } from './schemaCheck';
import { StateMachineEditor } from './StateMachineEditor';
import { modelProblems, modelToSchema, newType, schemaToModel, syncStateMachine, type TypeModel } from './typeModel';
import { TypeSettings } from './TypeSettings';

// The code editor is the designer's heaviest part; it loads when the JSON view is first opened.
const RawSchemaEditor = lazy(() => import('./RawSchemaEditor').then((module) => ({ default: module.RawSchemaEditor })));

type View = 'fields' | 'json';

/** A state machine follows its field's values as they are edited. */
function normalized(model: TypeModel): TypeModel {
  const machine = model.stateMachine;
  if (!machine) return model;
  const field = model.fields.find((f) => f.name === machine.field);
  if (!field || field.kind !== 'choice') return { ...model, stateMachine: null };
  return { ...model, stateMachine: syncStateMachine(machine, field.enumValues) };
}

function Designer({ existing }: { existing?: EntityType }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const types = useEntityTypes();
  const [schema, setSchema] = useState<JsonSchema>(() => existing?.schema ?? modelToSchema(newType()));
  const [view, setView] = useState<View>('fields');
  const [rawText, setRawText] = useState('');
  const [saving, setSaving] = useState(false);
  const [serverErrors, setServerErrors] = useState<string[]>([]);
  const [report, setReport] = useState<StoredRecordsReport | null>(null);
  const [stale, setStale] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteRecords, setDeleteRecords] = useState(false);

  const model = useMemo(() => schemaToModel(schema), [schema]);
  const problems = useMemo(() => modelProblems(model), [model]);
  const rawProblems = useMemo(() => (view === 'json' ? checkSchemaText(rawText) : []), [view, rawText]);
  const typeNames = (types.data ?? []).map((t) => t.name).concat(existing ? [] : model.name ? [model.name] : []);
  const problemCount = view === 'json' ? rawProblems.length : [...problems.values()].flat().length;

  const applyModel = (next: TypeModel) => setSchema(modelToSchema(normalized(next)));
  const switchView = (next: View) => {
    if (next === view) return;
    if (next === 'json') setRawText(JSON.stringify(schema, null, 2));
    else {
      try {
        setSchema(JSON.parse(rawText));
      } catch {
        toast.error('Fix the JSON syntax before switching to the field editor');
        return;
      }
    }
    setView(next);
  };
  const currentDocument = (): JsonSchema | null => {
    if (view === 'fields') return schema;
    try {
      return JSON.parse(rawText);
    } catch {
      return null;
    }
  };

  const save = async (allowInvalidRecords = false) => {
    const document = currentDocument();
    if (!document) {
      setServerErrors(['the JSON is not well-formed']);
      return;
    }
    setSaving(true);
    setServerErrors([]);
    try {
      const saved = existing
        ? await updateEntityType(existing.name, document, existing.version, allowInvalidRecords)
        : await createEntityType(document);
      setReport(null);
      await queryClient.invalidateQueries({ queryKey: keys.entityTypes });
      toast.success(`${saved.display_name} saved (version ${saved.version})`);
      navigate(`/types/${saved.name}`, { replace: !!existing });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'stored_records_invalid') setReport(error.problem.report as StoredRecordsReport);
      else if (error instanceof ApiError && error.status === 412) setStale(true);
      else if (error instanceof ApiError) setServerErrors([error.message, ...error.problem.errors.map((e) => `${e.path}: ${e.message}`)]);
      else setServerErrors([errorMessage(error)]);
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    await deleteEntityType(existing!.name, deleteRecords);
    await queryClient.invalidateQueries({ queryKey: keys.entityTypes });
    toast.success(`${existing!.display_name} deleted`);
    navigate('/types');
  };

  return (
    <div className="designer">
      <PageHeader
        title={existing ? existing.display_name : 'New entity type'}
        breadcrumb={<Link to="/types">Entity types</Link>}
        subtitle={existing ? `Version ${existing.version} · ${existing.name}` : 'Define the fields; the host validates, stores and indexes records at once.'}
        actions={
          <>
            <button type="button" className="button primary" onClick={() => save()} disabled={saving || problemCount > 0}>
              {saving ? 'Saving…' : existing ? 'Save changes' : 'Create type'}
            </button>
            {existing && (
              <>
                <Link className="button" to={`/records/${existing.name}`}>
                  Records
                </Link>
                <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>
                  Delete type
                </button>
              </>
            )}
          </>
        }
      />
      {stale && (
        <div className="notice warning" role="alert">
          Someone else saved a newer version of this type. Reload it to continue; your edits here are not saved.{' '}
          <button type="button" className="button small" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      )}
      {serverErrors.length > 0 && (
        <div className="notice error" role="alert">
          <strong>The host refused the schema</strong>
          <ul>
            {serverErrors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      )}
      {report && existing && (
        <InvalidRecordsReport typeName={existing.name} report={report} saving={saving} onSaveAnyway={() => save(true)} onDismiss={() => setReport(null)} />
      )}
      <div
        className="tabs"
        role="tablist"
        aria-label="Editor"
        onKeyDown={(event) => {
          if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') switchView(view === 'fields' ? 'json' : 'fields');
        }}
      >
        <button type="button" role="tab" id="tab-fields" aria-controls="panel" aria-selected={view === 'fields'} tabIndex={view === 'fields' ? 0 : -1} onClick={() => switchView('fields')}>
          Fields
        </button>
        <button type="button" role="tab" id="tab-json" aria-controls="panel" aria-selected={view === 'json'} tabIndex={view === 'json' ? 0 : -1} onClick={() => switchView('json')}>
          JSON Schema
        </button>
      </div>
      {view === 'fields' ? (
        <div className="designer-panels" role="tabpanel" id="panel" aria-labelledby="tab-fields">
          <TypeSettings model={model} isNew={!existing} problems={problems.get('') ?? []} onChange={applyModel} />
          <FieldTable model={model} typeNames={typeNames} onChange={applyModel} />
          <StateMachineEditor model={model} onChange={applyModel} />
        </div>
      ) : (
        <div role="tabpanel" id="panel" aria-labelledby="tab-json">
          <Suspense fallback={<Loading label="Loading the editor" />}>
            <RawSchemaEditor value={rawText} onChange={setRawText} problems={rawProblems} />
          </Suspense>
        </div>
      )}
      {existing && (
        <ConfirmDialog title={`Delete ${existing.display_name}`} open={confirmDelete} confirmLabel="Delete type" onConfirm={remove} onClose={() => setConfirmDelete(false)}>
          <p>The type is refused while other types have lookups to it. Its version history is kept.</p>
          <label>
            <input type="checkbox" checked={deleteRecords} onChange={(e) => setDeleteRecords(e.target.checked)} /> Also delete all its records
          </label>
        </ConfirmDialog>
      )}
    </div>
  );
}

export default function TypeDesigner() {
  const { name } = useParams();
  const type = useEntityType(name);
  if (!name) return <Designer key="new" />;
  if (type.isPending) return <Loading label="Loading the entity type" />;
  if (type.isError) return <ErrorState error={type.error} retry={() => type.refetch()} />;
  return <Designer key={`${type.data.name}@${type.data.version}`} existing={type.data} />;
}
