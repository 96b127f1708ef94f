// Whether a package's signature checked out; servers without signatures say nothing, so neither do we.
import type { Package } from '../api/types';

export function SignatureBadge({ pkg }: { pkg: Package }) {
  if (!pkg.signature) return <span className="muted">not reported</span>;
  if (pkg.signature.status === 'signed') {
    return (
      <span className="badge success" title={pkg.signature.publisher_key ?? undefined}>
        signed
      </span>
    );
  }
  return <span className="badge warning">unsigned</span>;
}
