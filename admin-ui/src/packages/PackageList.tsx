// Installed packages: version, publisher, signature, enabled; install or upgrade from a file.
import { Link } from 'react-router-dom';
import { usePackages } from '../api/queries';
import type { Package } from '../api/types';
import { formatValue } from '../schema/entity';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState, ErrorState, Loading } from '../ui/States';
import { InstallPackage } from './InstallPackage';
import { SignatureBadge } from './SignatureBadge';

function hookCount(pkg: Package): number {
  return pkg.plugins.reduce((sum, plugin) => sum + plugin.hooks.length, 0);
}

export default function PackageList() {
  const packages = usePackages();
  return (
    <>
      <PageHeader title="Packages" subtitle="Plugins and entity types from vendors, sandboxed and allowed only what they declare." />
      <InstallPackage installed={packages.data ?? []} />
      {packages.isPending && <Loading label="Loading packages" />}
      {packages.isError && <ErrorState error={packages.error} retry={() => packages.refetch()} />}
      {packages.data?.length === 0 && <EmptyState title="No packages installed">Upload a package archive (.tar) above.</EmptyState>}
      {packages.data && packages.data.length > 0 && (
        <div className="card table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Package</th>
                <th scope="col">Version</th>
                <th scope="col">Publisher</th>
                <th scope="col">Signature</th>
                <th scope="col">Plugins</th>
                <th scope="col">Hooks</th>
                <th scope="col">Status</th>
                <th scope="col">Installed</th>
              </tr>
            </thead>
            <tbody>
              {packages.data.map((pkg) => (
                <tr key={pkg.name}>
                  <td>
                    <Link to={`/packages/${pkg.name}`}>{pkg.name}</Link>
                    {pkg.description && <div className="muted small">{pkg.description}</div>}
                  </td>
                  <td className="mono">{pkg.version}</td>
                  <td>{pkg.publisher}</td>
                  <td>
                    <SignatureBadge pkg={pkg} />
                  </td>
                  <td>{pkg.plugins.length}</td>
                  <td>{hookCount(pkg)}</td>
                  <td>
                    <span className={pkg.enabled ? 'badge success' : 'badge'}>{pkg.enabled ? 'enabled' : 'disabled'}</span>
                  </td>
                  <td>{formatValue(pkg.installed_at, 'date-time')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
