// A role's permissions: the three switches, then a grid of entity types (`*` first) by
// create/read/update/delete/actions, each cell a scope or "as *", and per-type field restrictions.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { toast } from 'sonner';
import { createRole, getRole, updateRole } from '../api/endpoints';
import { keys, useEntityTypes } from '../api/queries';
import { SCOPES, type FieldAccess } from '../auth/permissions';
import { PageHeader } from '../ui/PageHeader';
import { ErrorState, Loading } from '../ui/States';
import { effective, emptyRow, fromPermissions, INHERIT, newRoleModel, roleProblems, SCOPED_VERBS, toPermissions, type RoleModel, type TypeRow } from './roleModel';
import { FormError } from './widgets';

const VERB_LABELS: Record<(typeof SCOPED_VERBS)[number], string> = { read: 'Read', update: 'Update', delete: 'Delete', actions: 'Actions' };

export default function RoleEditor() {
  const { name: routeName } = useParams();
  const isNew = !routeName;
  const role = useQuery({ queryKey: [...keys.roles, routeName], queryFn: () => getRole(routeName!), enabled: !isNew });
  if (!isNew && role.isPending) return <Loading label="Loading the role" />;
  if (!isNew && role.isError) return <ErrorState error={role.error} retry={() => role.refetch()} />;
  return (
    <RoleForm
      key={routeName ?? 'new'}
      initialName={routeName ?? ''}
      description={role.data?.description ?? ''}
      model={isNew ? newRoleModel() : fromPermissions(role.data?.permissions)}
      isNew={isNew}
    />
  );
}

function RoleForm({ initialName, description: initialDescription, model: initialModel, isNew }: { initialName: string; description: string; model: RoleModel; isNew: boolean }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const types = useEntityTypes();
  const [name, setName] = useState(initialName);
  const [description, setDescription] = useState(initialDescription);
  const [model, setModel] = useState<RoleModel>(initialModel);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const builtInAdmin = initialName === 'admin';
  const problems = roleProblems(model);
  useEffect(() => setError(null), [model]);

  const setRow = (index: number, change: Partial<TypeRow>) =>
    setModel((m) => ({ ...m, rows: m.rows.map((row, i) => (i === index ? { ...row, ...change } : row)) }));
  const unused = (types.data ?? []).map((t) => t.name).filter((t) => !model.rows.some((r) => r.type === t));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (problems.length) return;
    setBusy(true);
    setError(null);
    try {
      const permissions = toPermissions(model);
      if (isNew) await createRole({ name: name.trim(), description, permissions });
      else await updateRole(initialName, { description, permissions });
      await queryClient.invalidateQueries({ queryKey: keys.roles });
      toast.success(`Role ${name.trim()} saved`);
      navigate('/admin/roles');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save}>
      <PageHeader
        title={isNew ? 'New role' : `Role ${initialName}`}
        breadcrumb={<Link to="/admin/roles">Roles</Link>}
        actions={
          <button type="submit" className="button primary" disabled={busy || builtInAdmin || problems.length > 0}>
            Save role
          </button>
        }
      />
      {builtInAdmin && <p className="notice info">The admin role may do everything; it cannot be changed or removed.</p>}
      <FormError error={error} />
      {problems.length > 0 && (
        <ul className="schema-problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <fieldset className="card" disabled={builtInAdmin}>
        <div className="form-pair">
          <div className="form-row">
            <label htmlFor="role-name">Name</label>
            <input id="role-name" className="form-control" required readOnly={!isNew} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="form-row">
            <label htmlFor="role-description">Description</label>
            <input id="role-description" className="form-control" value={description} onChange={(e) => setDescription(e.target.value)} />
          </div>
        </div>
        <div className="checkbox-row">
          <label>
            <input type="checkbox" checked={model.admin} onChange={(e) => setModel({ ...model, admin: e.target.checked })} /> Admin: manage the workspace (types, packages, users, roles, tokens) and read the audit trail
          </label>
          <label>
            <input type="checkbox" checked={model.audit} onChange={(e) => setModel({ ...model, audit: e.target.checked })} /> Audit: read the audit trail
          </label>
          <label>
            <input type="checkbox" checked={model.reports} onChange={(e) => setModel({ ...model, reports: e.target.checked })} /> Reports: run plugin reports
          </label>
        </div>
      </fieldset>
      <fieldset className="card" disabled={builtInAdmin}>
        <h2>Records</h2>
        <p className="muted small">
          Scopes: none, own (records the user owns), team (owned by the user, one of their teams or a teammate), workspace (all). A type's row overrides
          the * row key by key; "as *" leaves a key to it.
        </p>
        <div className="table-scroll">
          <table className="table matrix perm-grid" aria-label="Permissions by entity type">
            <thead>
              <tr>
                <th scope="col">Entity type</th>
                <th scope="col">Create</th>
                {SCOPED_VERBS.map((verb) => (
                  <th scope="col" key={verb}>
                    {VERB_LABELS[verb]}
                  </th>
                ))}
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {model.rows.map((row, index) => {
                const star = row.type === '*';
                const label = star ? 'every type' : row.type || `row ${index + 1}`;
                return (
                  <tr key={index}>
                    <th scope="row">{star ? <span>* (every type)</span> : <span className="mono">{row.type}</span>}</th>
                    <td>
                      <select
                        aria-label={`Create ${label}`}
                        value={String(row.create)}
                        className={row.create === INHERIT ? 'inherited' : undefined}
                        onChange={(e) => setRow(index, { create: e.target.value === INHERIT ? INHERIT : e.target.value === 'true' })}
                      >
                        {!star && <option value={INHERIT}>as * ({effective(model, row, 'create') ? 'yes' : 'no'})</option>}
                        <option value="true">yes</option>
                        <option value="false">no</option>
                      </select>
                    </td>
                    {SCOPED_VERBS.map((verb) => (
                      <td key={verb}>
                        <select
                          aria-label={`${VERB_LABELS[verb]} ${label}`}
                          value={row[verb]}
                          className={row[verb] === INHERIT ? 'inherited' : undefined}
                          onChange={(e) => setRow(index, { [verb]: e.target.value } as Partial<TypeRow>)}
                        >
                          {(!star || row[verb] === INHERIT) && <option value={INHERIT}>as * ({String(effective(model, row, verb))})</option>}
                          {SCOPES.map((scope) => (
                            <option key={scope} value={scope}>
                              {scope}
                            </option>
                          ))}
                        </select>
                      </td>
                    ))}
                    <td>
                      {!star && (
                        <button type="button" className="button small danger" aria-label={`Remove the row of ${label}`} onClick={() => setModel({ ...model, rows: model.rows.filter((_, i) => i !== index) })}>
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div className="toolbar">
          <label htmlFor="add-type">Add rules for</label>
          <select
            id="add-type"
            value=""
            onChange={(e) => {
              if (e.target.value) setModel({ ...model, rows: [...model.rows, emptyRow(e.target.value)] });
            }}
          >
            <option value="">an entity type…</option>
            {unused.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <fieldset className="card" disabled={builtInAdmin}>
        <h2>Field restrictions</h2>
        <p className="muted small">A hidden field is never returned and keeps its value when the user saves a record; a read-only field is shown but cannot be set.</p>
        {model.rows.map((row, index) => (
          <FieldRules key={index} row={row} types={types.data?.find((t) => t.name === row.type)?.schema.properties} onChange={(fields) => setRow(index, { fields })} />
        ))}
      </fieldset>
    </form>
  );
}

function FieldRules({ row, types: properties, onChange }: { row: TypeRow; types?: Record<string, unknown>; onChange: (fields: TypeRow['fields']) => void }) {
  const known = Object.keys(properties ?? {}).filter((f) => !row.fields.some((r) => r.field === f));
  const label = row.type === '*' ? 'every type' : row.type;
  return (
    <div className="form-row">
      <h3 className="small">{row.type === '*' ? '* (every type)' : row.type}</h3>
      {row.fields.length === 0 && <p className="muted small">No restrictions.</p>}
      {row.fields.map((rule, i) => (
        <div key={i} className="toolbar">
          <input
            className="form-control type-name"
            aria-label={`Field of ${label}`}
            value={rule.field}
            list={`fields-${row.type}`}
            onChange={(e) => onChange(row.fields.map((r, j) => (j === i ? { ...r, field: e.target.value } : r)))}
          />
          <select aria-label={`Access to ${rule.field || 'the field'} of ${label}`} value={rule.access} onChange={(e) => onChange(row.fields.map((r, j) => (j === i ? { ...r, access: e.target.value as FieldAccess } : r)))}>
            <option value="hidden">hidden</option>
            <option value="read_only">read only</option>
          </select>
          <button type="button" className="button small danger" onClick={() => onChange(row.fields.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <datalist id={`fields-${row.type}`}>
        {known.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <button type="button" className="button small" onClick={() => onChange([...row.fields, { field: known[0] ?? '', access: 'hidden' }])}>
        Restrict a field of {label}
      </button>
    </div>
  );
}
