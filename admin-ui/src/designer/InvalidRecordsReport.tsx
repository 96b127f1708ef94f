// The host's answer when a schema change would make stored records invalid (409 stored_records_invalid).
import { Link } from 'react-router-dom';

export interface StoredRecordsReport {
  invalid_count: number;
  checked_count: number;
  examples: { id: string; errors: { path: string; keyword: string; message: string }[] }[];
}

interface Props {
  typeName: string;
  report: StoredRecordsReport;
  saving: boolean;
  onSaveAnyway: () => void;
  onDismiss: () => void;
}

export function InvalidRecordsReport({ typeName, report, saving, onSaveAnyway, onDismiss }: Props) {
  return (
    <section className="notice warning" role="alert" aria-labelledby="invalid-records-heading">
      <h2 id="invalid-records-heading">
        {report.invalid_count} of {report.checked_count} stored records would be invalid
      </h2>
      <p>
        Nothing was saved. Fix these records first, or save anyway: the records stay as they are and must be made valid on
        their next change.
      </p>
      <ul className="invalid-examples">
        {report.examples.map((example) => (
          <li key={example.id}>
            <Link to={`/records/${typeName}/${example.id}`} className="mono">
              {example.id}
            </Link>
            <ul>
              {example.errors.map((error, index) => (
                <li key={index}>
                  <code>{error.path || '/'}</code> {error.message}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
      <div className="form-actions">
        <button type="button" className="button danger" onClick={onSaveAnyway} disabled={saving}>
          Save anyway
        </button>
        <button type="button" className="button" onClick={onDismiss}>
          Keep editing
        </button>
      </div>
    </section>
  );
}
