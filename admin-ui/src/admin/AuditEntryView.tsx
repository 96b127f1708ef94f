// One audit entry: who, how (the API call or plugin hook), when, what, and each changed field
// before → after. The audit log and a record's History tab show entries alike.
import { Link } from 'react-router-dom';
import type { AuditEntry } from '../api/types';
import { formatValue } from '../schema/entity';
import { actorLabel, changeRows, showValue } from './admin';

export function AuditEntryView({ entry, showSubject }: { entry: AuditEntry; showSubject: boolean }) {
  const rows = changeRows(entry);
  const subject = entry.subject;
  return (
    <article className="history-entry" aria-label={`${entry.action} at ${entry.at}`}>
      <header>
        <strong>{entry.action}</strong>
        <span>by {actorLabel(entry.actor)}</span>
        <span className="muted">{formatValue(entry.at, 'date-time')}</span>
        <span className="muted small mono">{entry.via}</span>
      </header>
      {showSubject && (
        <p className="small">
          {subject.kind === 'record' && subject.type && subject.id ? (
            <Link to={`/records/${encodeURIComponent(subject.type)}/${encodeURIComponent(subject.id)}`}>
              {subject.type} {subject.id}
            </Link>
          ) : (
            <span className="mono">
              {subject.kind}
              {subject.type ? ` ${subject.type}` : ''}
              {subject.id ? ` ${subject.id}` : ''}
            </span>
          )}
        </p>
      )}
      {rows.length > 0 && (
        <table className="table change-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.field}>
                <td className="mono">{row.field}</td>
                <td className="before">{showValue(row.before)}</td>
                <td className="after">{showValue(row.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}
