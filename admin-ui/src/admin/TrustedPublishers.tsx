// Publisher keys this workspace trusts: packages they sign install here and show as trusted.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { distrustPublisher, listTrustedPublishers, trustPublisher } from '../api/endpoints';
import { errorMessage } from '../api/problem';
import type { TrustedPublisher } from '../api/types';
import { formatValue } from '../schema/entity';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { fieldMessages } from './forms';

const KEY = ['trusted-publishers'];

export default function TrustedPublishers() {
  const queryClient = useQueryClient();
  const publishers = useQuery({ queryKey: KEY, queryFn: async () => (await listTrustedPublishers()).value });
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<TrustedPublisher | null>(null);
  const problems = fieldMessages(error);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const added = await trustPublisher(name.trim(), publicKey.trim());
      setName('');
      setPublicKey('');
      toast.success(`${added.name} is trusted`);
      await queryClient.invalidateQueries({ queryKey: KEY });
      await queryClient.invalidateQueries({ queryKey: ['packages'] });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!removing) return;
    await distrustPublisher(removing.name);
    toast.success(`${removing.name} is no longer trusted`);
    setRemoving(null);
    await queryClient.invalidateQueries({ queryKey: KEY });
    await queryClient.invalidateQueries({ queryKey: ['packages'] });
  };

  return (
    <>
      <PageHeader
        title="Trusted publishers"
        subtitle="Packages signed by one of these ed25519 keys install here and show as trusted. Removing a key leaves installed packages in place, shown as untrusted."
      />
      <form className="card" onSubmit={add} aria-label="Trust a publisher">
        <h2>Trust a publisher</h2>
        {error !== null && (
          <p className="notice error" role="alert">
            {errorMessage(error)}
          </p>
        )}
        <div className="form-pair">
          <div className="form-row">
            <label htmlFor="publisher-name">Name</label>
            <input id="publisher-name" className="form-control" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            {problems['/name'] && <p className="error-text small">{problems['/name']}</p>}
          </div>
          <div className="form-row">
            <label htmlFor="publisher-key">Public key (base64)</label>
            <input id="publisher-key" className="form-control mono" required value={publicKey} onChange={(e) => setPublicKey(e.target.value)} />
            {problems['/public_key'] && <p className="error-text small">{problems['/public_key']}</p>}
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            Trust
          </button>
        </div>
      </form>
      {publishers.isPending && <Loading label="Loading publishers" />}
      {publishers.isError && <ErrorState error={publishers.error} retry={() => publishers.refetch()} />}
      {publishers.data?.length === 0 && <EmptyState title="No trusted publishers">Signed packages show as untrusted until their key is added here.</EmptyState>}
      {!!publishers.data?.length && (
        <div className="card table-scroll">
          <table className="table" aria-label="Trusted publishers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Public key</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {publishers.data.map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td className="mono truncate" title={p.public_key}>
                    {p.public_key}
                  </td>
                  <td>{formatValue(p.added_at, 'date-time')}</td>
                  <td>
                    <div className="row-actions">
                      <button type="button" className="button small danger" onClick={() => setRemoving(p)}>
                        Remove
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog title={`Stop trusting ${removing?.name ?? ''}`} open={removing !== null} confirmLabel="Remove" onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>Packages it signed stay installed and show as untrusted; new ones it signs are refused where unsigned packages are.</p>
      </ConfirmDialog>
    </>
  );
}
