// The type's fields at a glance, with add, edit, reorder and remove.
import { useState } from 'react';
import { FieldDialog } from './FieldDialog';
import { modelProblems, newField, renameField, type FieldModel, type TypeModel } from './typeModel';

interface Props {
  model: TypeModel;
  typeNames: string[];
  onChange: (model: TypeModel) => void;
}

function summary(field: FieldModel): string {
  switch (field.kind) {
    case 'text':
      return field.format ? `text (${field.format})` : 'text';
    case 'choice':
      return `choice: ${field.enumValues.join(', ')}`;
    case 'lookup':
      return `lookup → ${field.lookupTarget}`;
    default:
      return field.kind;
  }
}

export function FieldTable({ model, typeNames, onChange }: Props) {
  const [editing, setEditing] = useState<number | null>(null);
  const problems = modelProblems(model);
  const isNew = editing === model.fields.length;
  const editedField = editing === null ? null : isNew ? newField() : model.fields[editing];

  const withField = (index: number, field: FieldModel): TypeModel => {
    const renamed = index < model.fields.length ? renameField(model, index, field.name) : model;
    const fields = [...renamed.fields];
    fields[index] = field;
    return { ...renamed, fields };
  };
  const problemsOf = (field: FieldModel) => modelProblems(withField(editing!, field)).get(field.name) ?? [];
  const move = (index: number, by: number) => {
    const fields = [...model.fields];
    const [field] = fields.splice(index, 1);
    fields.splice(index + by, 0, field);
    onChange({ ...model, fields });
  };
  const remove = (index: number) => onChange({ ...model, fields: model.fields.filter((_, i) => i !== index) });

  return (
    <section className="card" aria-labelledby="fields-heading">
      <div className="section-header">
        <h2 id="fields-heading">Fields</h2>
        <button type="button" className="button primary" onClick={() => setEditing(model.fields.length)}>
          Add field
        </button>
      </div>
      <div className="table-scroll">
        <table className="table fields-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Label</th>
              <th scope="col">Type</th>
              <th scope="col">Rules</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {model.fields.map((field, index) => (
              <tr key={`${index}-${field.name}`}>
                <td className="mono">
                  {field.name}
                  {field.name === model.titleField && <span className="badge">title</span>}
                  {problems.get(field.name)?.map((message) => (
                    <div key={message} className="error-text small">
                      {message}
                    </div>
                  ))}
                </td>
                <td>{field.label}</td>
                <td className="truncate">{summary(field)}</td>
                <td>
                  {[field.required && 'required', field.indexed && 'indexed', field.unique && 'unique'].filter(Boolean).join(', ')}
                </td>
                <td className="row-actions">
                  <button type="button" className="button small" onClick={() => setEditing(index)} aria-label={`Edit field ${field.name}`}>
                    Edit
                  </button>
                  <button type="button" className="button small" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move ${field.name} up`}>
                    ↑
                  </button>
                  <button
                    type="button"
                    className="button small"
                    disabled={index === model.fields.length - 1}
                    onClick={() => move(index, 1)}
                    aria-label={`Move ${field.name} down`}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="button small danger"
                    disabled={field.name === model.titleField}
                    onClick={() => remove(index)}
                    aria-label={`Remove field ${field.name}`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editedField && (
        <FieldDialog
          field={editedField}
          isNew={isNew}
          typeNames={typeNames}
          problems={problemsOf}
          onClose={() => setEditing(null)}
          onSave={(field) => {
            onChange(withField(editing!, field));
            setEditing(null);
          }}
        />
      )}
    </section>
  );
}
