// Editing one field: its kind, label, constraints, default, lookup target and annotations.
import { useId, useState } from 'react';
import type { OnDelete } from '../api/types';
import { Modal } from '../ui/Modal';
import { FIELD_KINDS, TEXT_FORMATS, type FieldKind, type FieldModel } from './typeModel';

interface Props {
  field: FieldModel;
  isNew: boolean;
  typeNames: string[];
  problems: (field: FieldModel) => string[];
  onSave: (field: FieldModel) => void;
  onClose: () => void;
}

const KIND_LABELS: Record<FieldKind, string> = {
  text: 'Text',
  choice: 'Choice (enum)',
  number: 'Number',
  integer: 'Whole number',
  boolean: 'Yes / no',
  lookup: 'Lookup (another record)',
  object: 'Object (nested fields)',
  array: 'List',
  custom: 'Custom JSON Schema',
};

function parseNumber(text: string): number | null {
  if (text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** The default as typed, turned into a value of the field's kind. */
function parseDefault(kind: FieldKind, text: string): unknown {
  if (text === '') return undefined;
  if (kind === 'number' || kind === 'integer') return parseNumber(text) ?? undefined;
  if (kind === 'boolean') return text === 'true';
  return text;
}

export function FieldDialog({ field: initial, isNew, typeNames, problems, onSave, onClose }: Props) {
  const [field, setField] = useState<FieldModel>(initial);
  const [extraText, setExtraText] = useState(() => (Object.keys(initial.extra).length ? JSON.stringify(initial.extra, null, 2) : ''));
  const [extraError, setExtraError] = useState<string | null>(null);
  const id = useId();
  const set = (patch: Partial<FieldModel>) => setField((current) => ({ ...current, ...patch }));
  const isNumber = field.kind === 'number' || field.kind === 'integer';
  const hasLength = field.kind === 'text';
  const found = problems(field);

  const changeKind = (kind: FieldKind) =>
    set({ kind, format: '', min: null, max: null, defaultValue: undefined, enumValues: kind === 'choice' ? field.enumValues : [], indexed: kind === 'object' || kind === 'array' ? false : field.indexed });

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    let extra: Record<string, unknown> = {};
    if (extraText.trim()) {
      try {
        extra = JSON.parse(extraText);
        if (!extra || typeof extra !== 'object' || Array.isArray(extra)) throw new Error('not an object');
      } catch {
        setExtraError('other keywords must be a JSON object, e.g. {"pattern": "^[A-Z]"}');
        return;
      }
    }
    const saved = { ...field, extra };
    if (problems(saved).length === 0) onSave(saved);
  };

  return (
    <Modal title={isNew ? 'New field' : `Field ${initial.name}`} open onClose={onClose}>
      <form className="field-editor" onSubmit={submit} noValidate>
        {found.length > 0 && (
          <ul className="notice error" role="alert">
            {found.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
        <div className="form-row">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} className="form-control mono" value={field.name} onChange={(e) => set({ name: e.target.value })} autoFocus required />
          <p className="help-block">Letters, digits and _, used in the API and queries.</p>
        </div>
        <div className="form-row">
          <label htmlFor={`${id}-label`}>Label</label>
          <input id={`${id}-label`} className="form-control" value={field.label} onChange={(e) => set({ label: e.target.value })} />
        </div>
        <div className="form-row">
          <label htmlFor={`${id}-kind`}>Type</label>
          <select id={`${id}-kind`} className="form-control" value={field.kind} onChange={(e) => changeKind(e.target.value as FieldKind)}>
            {FIELD_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {KIND_LABELS[kind]}
              </option>
            ))}
          </select>
        </div>
        {field.kind === 'text' && (
          <div className="form-row">
            <label htmlFor={`${id}-format`}>Format</label>
            <select id={`${id}-format`} className="form-control" value={field.format} onChange={(e) => set({ format: e.target.value })}>
              {TEXT_FORMATS.map((format) => (
                <option key={format} value={format}>
                  {format || 'any text'}
                </option>
              ))}
            </select>
          </div>
        )}
        {field.kind === 'choice' && (
          <div className="form-row">
            <label htmlFor={`${id}-values`}>Values, one per line</label>
            <textarea
              id={`${id}-values`}
              className="form-control mono"
              rows={5}
              value={field.enumValues.join('\n')}
              onChange={(e) => set({ enumValues: e.target.value.split('\n').map((v) => v.trim()).filter(Boolean) })}
            />
          </div>
        )}
        {field.kind === 'lookup' && (
          <div className="form-pair">
            <div className="form-row">
              <label htmlFor={`${id}-target`}>Target type</label>
              <select id={`${id}-target`} className="form-control" value={field.lookupTarget} onChange={(e) => set({ lookupTarget: e.target.value })}>
                <option value="">Choose…</option>
                {typeNames.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-ondelete`}>When the target is deleted</label>
              <select
                id={`${id}-ondelete`}
                className="form-control"
                value={field.onDelete ?? ''}
                onChange={(e) => set({ onDelete: (e.target.value || null) as OnDelete | null })}
              >
                <option value="">refuse the delete (default)</option>
                <option value="restrict">refuse the delete (restrict)</option>
                <option value="cascade">delete this record too (cascade)</option>
                <option value="set_null">clear this field (set_null)</option>
              </select>
            </div>
          </div>
        )}
        {(isNumber || hasLength) && (
          <div className="form-pair">
            <div className="form-row">
              <label htmlFor={`${id}-min`}>{isNumber ? 'Minimum' : 'Minimum length'}</label>
              <input id={`${id}-min`} type="number" className="form-control" value={field.min ?? ''} onChange={(e) => set({ min: parseNumber(e.target.value) })} />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-max`}>{isNumber ? 'Maximum' : 'Maximum length'}</label>
              <input id={`${id}-max`} type="number" className="form-control" value={field.max ?? ''} onChange={(e) => set({ max: parseNumber(e.target.value) })} />
            </div>
          </div>
        )}
        {field.kind !== 'object' && field.kind !== 'array' && field.kind !== 'custom' && field.kind !== 'lookup' && (
          <div className="form-row">
            <label htmlFor={`${id}-default`}>Default</label>
            {field.kind === 'boolean' || field.kind === 'choice' ? (
              <select
                id={`${id}-default`}
                className="form-control"
                value={field.defaultValue === undefined ? '' : String(field.defaultValue)}
                onChange={(e) => set({ defaultValue: parseDefault(field.kind, e.target.value) })}
              >
                <option value="">none</option>
                {(field.kind === 'boolean' ? ['true', 'false'] : field.enumValues).map((value) => (
                  <option key={value} value={value}>
                    {value}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={`${id}-default`}
                type={isNumber ? 'number' : field.format === 'date' ? 'date' : 'text'}
                className="form-control"
                value={field.defaultValue === undefined ? '' : String(field.defaultValue)}
                onChange={(e) => set({ defaultValue: parseDefault(field.kind, e.target.value) })}
              />
            )}
          </div>
        )}
        <div className="form-row">
          <label htmlFor={`${id}-description`}>Description</label>
          <input id={`${id}-description`} className="form-control" value={field.description} onChange={(e) => set({ description: e.target.value })} />
        </div>
        <fieldset className="checkbox-row">
          <legend>Rules</legend>
          <label>
            <input type="checkbox" checked={field.required} onChange={(e) => set({ required: e.target.checked })} /> Required
          </label>
          <label>
            <input type="checkbox" checked={field.indexed} disabled={field.kind === 'object' || field.kind === 'array'} onChange={(e) => set({ indexed: e.target.checked })} /> Indexed (fast filters and sorts)
          </label>
          <label>
            <input type="checkbox" checked={field.unique} disabled={field.kind === 'object' || field.kind === 'array'} onChange={(e) => set({ unique: e.target.checked })} /> Unique
          </label>
        </fieldset>
        <div className="form-row">
          <label htmlFor={`${id}-extra`}>Other JSON Schema keywords</label>
          <textarea
            id={`${id}-extra`}
            className="form-control mono"
            rows={field.kind === 'object' || field.kind === 'array' || field.kind === 'custom' ? 8 : 3}
            placeholder={field.kind === 'object' ? '{"properties": {"street": {"type": "string"}}}' : field.kind === 'array' ? '{"items": {"type": "string"}}' : '{"pattern": "^[A-Z]{3}$"}'}
            value={extraText}
            aria-invalid={!!extraError}
            aria-describedby={extraError ? `${id}-extra-error` : undefined}
            onChange={(e) => {
              setExtraText(e.target.value);
              setExtraError(null);
            }}
          />
          {extraError && (
            <p id={`${id}-extra-error`} className="error-text">
              {extraError}
            </p>
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary">
            {isNew ? 'Add field' : 'Apply'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
