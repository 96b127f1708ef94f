// The type itself: names, title field, search fields.
import { useId } from 'react';
import type { TypeModel } from './typeModel';

interface Props {
  model: TypeModel;
  isNew: boolean;
  problems: string[];
  onChange: (model: TypeModel) => void;
}

export function TypeSettings({ model, isNew, problems, onChange }: Props) {
  const id = useId();
  const set = (patch: Partial<TypeModel>) => onChange({ ...model, ...patch });
  const textFields = model.fields.filter((f) => f.kind === 'text' || f.kind === 'choice');

  const setDisplayName = (displayName: string) => {
    const rootExtra = { ...model.rootExtra };
    if (rootExtra.title === undefined || rootExtra.title === model.displayName) rootExtra.title = displayName;
    const name = isNew && (model.name === '' || model.name === snake(model.displayName)) ? snake(displayName) : model.name;
    onChange({ ...model, displayName, name, rootExtra });
  };

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Type</h2>
      {problems.length > 0 && (
        <ul className="notice error" aria-live="polite">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="form-grid">
        <div className="form-row">
          <label htmlFor={`${id}-display`}>Display name</label>
          <input id={`${id}-display`} className="form-control" value={model.displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor={`${id}-plural`}>Plural name</label>
          <input
            id={`${id}-plural`}
            className="form-control"
            value={model.pluralName}
            placeholder={model.displayName ? `${model.displayName}s` : ''}
            onChange={(e) => set({ pluralName: e.target.value })}
          />
        </div>
        <div className="form-row">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            className="form-control mono"
            value={model.name}
            readOnly={!isNew}
            aria-describedby={`${id}-name-help`}
            onChange={(e) => set({ name: e.target.value })}
          />
          <p id={`${id}-name-help`} className="help-block">
            {isNew ? 'The URL segment of its records; it never changes.' : 'A type’s name never changes.'}
          </p>
        </div>
        <div className="form-row">
          <label htmlFor={`${id}-title`}>Title field</label>
          <select id={`${id}-title`} className="form-control" value={model.titleField} onChange={(e) => set({ titleField: e.target.value })}>
            {!textFields.some((f) => f.name === model.titleField) && <option value={model.titleField}>Choose…</option>}
            {textFields.map((f) => (
              <option key={f.name} value={f.name}>
                {f.name}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row wide">
          <label htmlFor={`${id}-description`}>Description</label>
          <input id={`${id}-description`} className="form-control" value={model.description} onChange={(e) => set({ description: e.target.value })} />
        </div>
      </div>
      <fieldset className="checkbox-row">
        <legend>Full-text search over (default: the title field)</legend>
        {model.fields
          .filter((f) => f.kind === 'text')
          .map((f) => (
            <label key={f.name}>
              <input
                type="checkbox"
                checked={model.search.includes(f.name)}
                onChange={(e) => set({ search: e.target.checked ? [...model.search, f.name] : model.search.filter((s) => s !== f.name) })}
              />
              {f.name}
            </label>
          ))}
      </fieldset>
    </section>
  );
}

/** "Parking violation" → "parking_violation", the name a new type is offered. */
export function snake(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 48);
}
