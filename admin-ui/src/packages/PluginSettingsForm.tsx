// A plugin's configuration (a form from its config schema) and its resource limits.
import type { ErrorSchema } from '@rjsf/utils';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { toast } from 'sonner';
import { savePluginSettings } from '../api/endpoints';
import { ApiError, errorMessage } from '../api/problem';
import { keys } from '../api/queries';
import type { JsonSchema, Package, Plugin, PluginSettings } from '../api/types';
import { SchemaForm } from '../forms/SchemaForm';
import { placeProblem } from '../records/fieldErrors';

const limitField = (title: string, maximum: number): JsonSchema => ({ type: 'integer', title, minimum: 1, maximum });

/** The admin's limits; an empty field keeps the manifest's limit, or else the host's default. */
function limitsSchema(plugin: Plugin): JsonSchema {
  const inForce = plugin.effective_limits ?? plugin.limits;
  const shown = Object.entries(withoutNulls(inForce as Record<string, unknown>)).map(([k, v]) => `${k} ${String(v)}`);
  return {
    type: 'object',
    title: 'Limits',
    description: `Empty fields keep the manifest's limits, or else the host's defaults.${shown.length ? ` In force: ${shown.join(', ')}.` : ''}`,
    additionalProperties: false,
    properties: {
      sync_deadline_ms: limitField('Deadline of synchronous hooks and actions (ms)', 60_000),
      async_deadline_ms: limitField('Deadline of asynchronous work (ms)', 600_000),
      memory_mb: limitField('Memory (MiB)', 4096),
      host_calls: limitField('Host calls per invocation', 1_000_000),
    },
  };
}

function withoutNulls(limits: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== null && v !== undefined));
}

export function PluginSettingsForm({ pkg, plugin }: { pkg: Package; plugin: Plugin }) {
  const queryClient = useQueryClient();
  const schema = useMemo<JsonSchema>(
    () => ({
      type: 'object',
      properties: {
        config: { title: 'Configuration', ...(plugin.config_schema ?? { type: 'object', properties: {} }) },
        limits: limitsSchema(plugin),
      },
    }),
    [plugin],
  );
  const [data, setData] = useState<PluginSettings>(() => ({
    config: plugin.settings?.config ?? {},
    limits: withoutNulls(plugin.settings?.limits as Record<string, unknown> | null),
  }));
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async (settings: PluginSettings) => {
    setSaving(true);
    setError(null);
    setExtraErrors(undefined);
    try {
      const updated = await savePluginSettings(pkg.name, plugin.name, settings);
      queryClient.setQueryData(keys.package(pkg.name), updated);
      toast.success(`Settings of ${plugin.name} saved`);
    } catch (caught) {
      if (caught instanceof ApiError && (caught.status === 404 || caught.status === 405)) {
        setError('This server cannot change plugin settings yet (the settings endpoint is missing).');
      } else {
        if (caught instanceof ApiError && caught.problem.errors.length) setExtraErrors(placeProblem(caught.problem, schema).fields);
        setError(errorMessage(caught));
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <details className="settings">
      <summary>Settings</summary>
      {!plugin.settings && <p className="muted small">This server does not report the current settings; the form starts from the defaults.</p>}
      {error && (
        <p className="notice error" role="alert">
          {error}
        </p>
      )}
      <SchemaForm<PluginSettings>
        id={`settings-${plugin.name}`}
        schema={schema}
        formData={data}
        extraErrors={extraErrors}
        disabled={saving}
        onChange={setData}
        onSubmit={save}
      >
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </SchemaForm>
    </details>
  );
}
