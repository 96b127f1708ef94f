// API tokens for integrations: made with a role and an expiry, the secret shown once, revoked at once.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { createToken, listTokens, revokeToken } from '../api/endpoints';
import { keys, useUsers } from '../api/queries';
import type { ApiToken } from '../api/types';
import { formatValue } from '../schema/entity';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { expiryFrom, TOKEN_LIFETIMES, tokenState } from './admin';
import { FormError, RoleSelect } from './widgets';

function Secret({ token, onDone }: { token: ApiToken; onDone: () => void }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token ?? '');
      toast.success('Token copied');
    } catch {
      toast.error('Copying is not allowed here; select the token and copy it by hand');
    }
  };
  return (
    <section className="notice success" aria-label="New token">
      <h2>Token {token.name} created</h2>
      <p>Copy it now: it is shown this once and cannot be read again.</p>
      <div className="secret">
        <code data-testid="token-secret">{token.token}</code>
        <button type="button" className="button" onClick={copy}>
          Copy
        </button>
        <button type="button" className="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}

export default function Tokens() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: keys.tokens, queryFn: listTokens });
  const users = useUsers();
  const [name, setName] = useState('');
  const [role, setRole] = useState('member');
  const [days, setDays] = useState<number>(90);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<ApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const now = new Date();
  const userName = (id: string) => users.data?.find((u) => u.id === id)?.email ?? id;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await createToken(name.trim(), role, expiryFrom(new Date(), days));
      setCreated(token);
      setName('');
      await queryClient.invalidateQueries({ queryKey: keys.tokens });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async () => {
    if (!revoking) return;
    await revokeToken(revoking.id);
    toast.success(`Token ${revoking.name} revoked`);
    setRevoking(null);
    await queryClient.invalidateQueries({ queryKey: keys.tokens });
  };

  return (
    <>
      <PageHeader title="API tokens" subtitle="Integrations send a token as Authorization: Bearer xrm_…; it acts with its role until it expires or is revoked." />
      {created && <Secret token={created} onDone={() => setCreated(null)} />}
      <form className="card" onSubmit={submit} aria-label="New token">
        <h2>New token</h2>
        <FormError error={error} />
        <div className="form-grid">
          <div className="form-row">
            <label htmlFor="token-name">Name</label>
            <input id="token-name" className="form-control" required value={name} onChange={(e) => setName(e.target.value)} placeholder="ERP sync" />
          </div>
          <div className="form-row">
            <label htmlFor="token-role">Role</label>
            <RoleSelect id="token-role" value={role} onChange={setRole} />
          </div>
          <div className="form-row">
            <label htmlFor="token-expiry">Expires in</label>
            <select id="token-expiry" className="form-control" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {TOKEN_LIFETIMES.map((d) => (
                <option key={d} value={d}>
                  {d} days
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
      {tokens.isPending && <Loading label="Loading tokens" />}
      {tokens.isError && <ErrorState error={tokens.error} retry={() => tokens.refetch()} />}
      {tokens.data?.length === 0 && <EmptyState title="No API tokens" />}
      {!!tokens.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Made by</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => {
                const state = tokenState(token, now);
                return (
                  <tr key={token.id}>
                    <td>{token.name}</td>
                    <td>{token.role}</td>
                    <td>{userName(token.user_id)}</td>
                    <td>{formatValue(token.created_at, 'date-time')}</td>
                    <td>{formatValue(token.expires_at, 'date-time')}</td>
                    <td>{token.last_used_at ? formatValue(token.last_used_at, 'date-time') : 'never'}</td>
                    <td>
                      <span className={state === 'active' ? 'badge success' : 'badge warning'}>{state}</span>
                    </td>
                    <td>
                      {state === 'active' && (
                        <div className="row-actions">
                          <button type="button" className="button small danger" aria-label={`Revoke ${token.name}`} onClick={() => setRevoking(token)}>
                            Revoke
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog title={`Revoke ${revoking?.name ?? ''}`} open={revoking !== null} confirmLabel="Revoke" onConfirm={revoke} onClose={() => setRevoking(null)}>
        <p>Every request with this token is refused from now on, on every host.</p>
      </ConfirmDialog>
    </>
  );
}
