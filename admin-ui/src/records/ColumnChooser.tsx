// Which columns a list shows: a disclosure with a checkbox per field, remembered per type.
import type { ColumnField } from '../schema/entity';

interface Props {
  fields: ColumnField[];
  visible: string[];
  onChange: (visible: string[]) => void;
  onReset: () => void;
}

export function ColumnChooser({ fields, visible, onChange, onReset }: Props) {
  const toggle = (path: string) =>
    onChange(visible.includes(path) ? visible.filter((p) => p !== path) : [...visible, path]);
  return (
    <details className="column-chooser">
      <summary className="button">Columns ({visible.length})</summary>
      <div className="popover" role="group" aria-label="Visible columns">
        <ul>
          {fields.map((field) => (
            <li key={field.path}>
              <label>
                <input
                  type="checkbox"
                  checked={visible.includes(field.path)}
                  disabled={visible.length === 1 && visible.includes(field.path)}
                  onChange={() => toggle(field.path)}
                />
                {field.label}
              </label>
            </li>
          ))}
        </ul>
        <button type="button" className="button small" onClick={onReset}>
          Reset to default
        </button>
      </div>
    </details>
  );
}
