// Small pieces the administration screens share: a form's error, the role picker.
import { ApiError, errorMessage } from '../api/problem';
import { useRoles } from '../api/queries';

export function FormError({ error }: { error: unknown }) {
  if (error === null) return null;
  const fields = error instanceof ApiError ? error.problem.errors : [];
  return (
    <div className="notice error" role="alert">
      <p>{errorMessage(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={i}>
              {f.path && <span className="mono">{f.path}: </span>}
              {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RoleSelect({ id, value, onChange }: { id: string; value: string; onChange: (role: string) => void }) {
  const roles = useRoles();
  const names = roles.data?.map((r) => r.name) ?? ['admin', 'member', 'viewer'];
  if (value && !names.includes(value)) names.push(value);
  return (
    <select id={id} className="form-control" value={value} onChange={(e) => onChange(e.target.value)}>
      {names.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </select>
  );
}

