// Plugin actions on a record: a button per action of an enabled package, a form for its input.
import type { ErrorSchema } from '@rjsf/utils';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { toast } from 'sonner';
import { runAction } from '../api/endpoints';
import { ApiError, errorMessage } from '../api/problem';
import { keys, usePackages } from '../api/queries';
import type { JsonSchema, PluginAction } from '../api/types';
import { SchemaForm } from '../forms/SchemaForm';
import { Modal } from '../ui/Modal';
import { placeProblem } from './fieldErrors';

const EMPTY_INPUT: JsonSchema = { type: 'object', properties: {} };

function ActionDialog({ typeName, recordId, action, onClose }: { typeName: string; recordId: string; action: PluginAction; onClose: () => void }) {
  const queryClient = useQueryClient();
  const schema = action.input_schema ?? EMPTY_INPUT;
  const [input, setInput] = useState<Record<string, unknown>>({});
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [output, setOutput] = useState<unknown>(undefined);
  const [running, setRunning] = useState(false);
  const label = action.display_name ?? action.name;

  const run = async (data: Record<string, unknown>) => {
    setRunning(true);
    setError(null);
    setExtraErrors(undefined);
    try {
      const result = await runAction(typeName, recordId, action.name, data);
      setOutput(result ?? null);
      toast.success(`${label}: done`);
      await queryClient.invalidateQueries({ queryKey: keys.records(typeName) });
    } catch (caught) {
      if (caught instanceof ApiError && caught.problem.errors.length) setExtraErrors(placeProblem(caught.problem, schema).fields);
      setError(errorMessage(caught));
    } finally {
      setRunning(false);
    }
  };

  return (
    <Modal title={label} open onClose={onClose}>
      {output !== undefined ? (
        <div role="status">
          <p className="notice success">{label} finished.</p>
          {output !== null && <pre className="code-block">{JSON.stringify(output, null, 2)}</pre>}
          <div className="form-actions">
            <button type="button" className="button primary" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <>
          {error && (
            <p className="notice error" role="alert">
              {error}
            </p>
          )}
          <SchemaForm<Record<string, unknown>>
            id={`action-${action.name}`}
            schema={schema}
            formData={input}
            extraErrors={extraErrors}
            disabled={running}
            onChange={setInput}
            onSubmit={run}
          >
            <div className="form-actions">
              <button type="submit" className="button primary" disabled={running}>
                {running ? 'Running…' : `Run ${label.toLowerCase()}`}
              </button>
              <button type="button" className="button" onClick={onClose}>
                Cancel
              </button>
            </div>
          </SchemaForm>
        </>
      )}
    </Modal>
  );
}

export function ActionButtons({ typeName, recordId }: { typeName: string; recordId: string }) {
  const packages = usePackages();
  const [open, setOpen] = useState<PluginAction | null>(null);
  const actions = (packages.data ?? [])
    .filter((p) => p.enabled)
    .flatMap((p) => p.plugins.flatMap((plugin) => plugin.actions))
    .filter((action) => action.entity_type === typeName);
  if (actions.length === 0) return null;
  return (
    <>
      {actions.map((action) => (
        <button key={action.name} type="button" className="button" onClick={() => setOpen(action)}>
          {action.display_name ?? action.name}
        </button>
      ))}
      {open && <ActionDialog typeName={typeName} recordId={recordId} action={open} onClose={() => setOpen(null)} />}
    </>
  );
}
