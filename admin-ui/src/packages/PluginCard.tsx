// A plugin of a package: capabilities, hooks, actions, schedules, and its settings.
import type { Package, Plugin } from '../api/types';
import { PluginSettingsForm } from './PluginSettingsForm';

export function PluginCard({ pkg, plugin }: { pkg: Package; plugin: Plugin }) {
  const headingId = `plugin-${plugin.name}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        Plugin {plugin.name} <span className="muted small mono">{plugin.component}</span>
      </h2>
      <dl className="fields">
        <div className="field">
          <dt>Capabilities</dt>
          <dd>
            {Object.entries(plugin.capabilities).map(([verb, types]) => (
              <div key={verb}>
                {verb}: {types.join(', ') || '—'}
              </div>
            ))}
          </dd>
        </div>
        <div className="field">
          <dt>Hooks</dt>
          <dd>
            {plugin.hooks.length === 0
              ? '—'
              : plugin.hooks.map((hook, index) => (
                  <div key={index} className="mono">
                    {hook.hook}
                    {hook.entity_type && ` · ${hook.entity_type}`}
                  </div>
                ))}
          </dd>
        </div>
        <div className="field">
          <dt>Actions</dt>
          <dd>
            {plugin.actions.length === 0
              ? '—'
              : plugin.actions.map((action) => (
                  <div key={action.name}>
                    {action.display_name ?? action.name} <span className="muted">on {action.entity_type}</span>
                  </div>
                ))}
          </dd>
        </div>
        <div className="field">
          <dt>Schedules</dt>
          <dd>
            {plugin.schedules.length === 0
              ? '—'
              : plugin.schedules.map((s) => (
                  <div key={s.name}>
                    {s.name} <code>{s.cron}</code>
                  </div>
                ))}
          </dd>
        </div>
        <div className="field">
          <dt>Component sha256</dt>
          <dd className="mono truncate" title={plugin.sha256}>
            {plugin.sha256}
          </dd>
        </div>
      </dl>
      <PluginSettingsForm pkg={pkg} plugin={plugin} />
    </section>
  );
}
