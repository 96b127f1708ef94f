// One package: what it is, enable/disable/uninstall, each plugin's hooks, settings and statistics.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { toast } from 'sonner';
import { setPackageEnabled, uninstallPackage } from '../api/endpoints';
import { errorMessage } from '../api/problem';
import { keys, useMembers, usePackage } from '../api/queries';
import { formatValue } from '../schema/entity';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { ErrorState, Loading } from '../ui/States';
import { PackageSchedules } from './PackageSchedules';
import { PackageStats } from './PackageStats';
import { PluginCard } from './PluginCard';
import { SignatureBadge } from './SignatureBadge';

export default function PackageDetail() {
  const { name = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const pkg = usePackage(name);
  const members = useMembers();
  // Who installed it, by name when the member directory knows them.
  const installer = (id: string) => {
    const member = members.data?.find((m) => m.id === id);
    return member ? member.display_name || member.email : id;
  };
  const [busy, setBusy] = useState(false);
  const [confirmUninstall, setConfirmUninstall] = useState(false);

  if (pkg.isPending) return <Loading label="Loading the package" />;
  if (pkg.isError) return <ErrorState error={pkg.error} retry={() => pkg.refetch()} />;
  const data = pkg.data;

  const toggle = async () => {
    setBusy(true);
    try {
      const updated = await setPackageEnabled(data.name, !data.enabled);
      queryClient.setQueryData(keys.package(data.name), updated);
      await queryClient.invalidateQueries({ queryKey: keys.packages });
      toast.success(`${data.name} ${updated.enabled ? 'enabled' : 'disabled'}`);
    } catch (error) {
      toast.error(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  const uninstall = async () => {
    await uninstallPackage(data.name);
    await queryClient.invalidateQueries({ queryKey: keys.packages });
    toast.success(`${data.name} uninstalled`);
    navigate('/packages');
  };

  return (
    <div className="package-screen">
      <PageHeader
        title={data.name}
        breadcrumb={<Link to="/packages">Packages</Link>}
        subtitle={data.description}
        actions={
          <>
            <button type="button" className="button" onClick={toggle} disabled={busy} aria-pressed={!data.enabled}>
              {data.enabled ? 'Disable' : 'Enable'}
            </button>
            <button type="button" className="button danger" onClick={() => setConfirmUninstall(true)}>
              Uninstall
            </button>
          </>
        }
      />
      <section className="card" aria-label="Package">
        <dl className="fields">
          <div className="field">
            <dt>Version</dt>
            <dd className="mono">{data.version}</dd>
          </div>
          <div className="field">
            <dt>Publisher</dt>
            <dd>{data.publisher}</dd>
          </div>
          <div className="field">
            <dt>Signature</dt>
            <dd>
              <SignatureBadge pkg={data} />
            </dd>
          </div>
          <div className="field">
            <dt>Status</dt>
            <dd>
              <span className={data.enabled ? 'badge success' : 'badge'}>{data.enabled ? 'enabled' : 'disabled'}</span>
            </dd>
          </div>
          <div className="field">
            <dt>Plugin API</dt>
            <dd className="mono">{data.api}</dd>
          </div>
          <div className="field">
            <dt>Entity types</dt>
            <dd>
              {data.entity_types?.length
                ? data.entity_types.map((type, index) => (
                    <span key={type.name}>
                      {index > 0 && ', '}
                      <Link to={`/types/${type.name}`}>{type.name}</Link> <span className="muted">v{type.version}</span>
                    </span>
                  ))
                : 'none'}
              {data.sample_data && <span className="muted"> · ships sample data</span>}
            </dd>
          </div>
          <div className="field">
            <dt>Installed</dt>
            <dd>
              {formatValue(data.installed_at, 'date-time')}
              {data.installed_by && ` by ${installer(data.installed_by)}`}
            </dd>
          </div>
        </dl>
      </section>
      {data.plugins.map((plugin) => (
        <PluginCard key={plugin.name} pkg={data} plugin={plugin} />
      ))}
      <PackageSchedules name={data.name} canRun />
      <PackageStats name={data.name} />
      <ConfirmDialog title={`Uninstall ${data.name}`} open={confirmUninstall} confirmLabel="Uninstall" onConfirm={uninstall} onClose={() => setConfirmUninstall(false)}>
        <p>Its hooks and actions stop at once. Records and entity types stay.</p>
      </ConfirmDialog>
    </div>
  );
}
