// Whether a package is signed, and by a publisher this workspace trusts.
import type { Package } from '../api/types';

export function SignatureBadge({ pkg }: { pkg: Package }) {
  const signature = pkg.signature;
  if (!signature) return <span className="muted">not reported</span>;
  const key = signature.public_key ?? undefined;
  switch (signature.status) {
    case 'trusted':
      return (
        <span className="badge success" title={key}>
          signed · {signature.publisher ?? 'trusted'}
        </span>
      );
    case 'untrusted':
      return (
        <span className="badge warning" title={key}>
          signed · untrusted key
        </span>
      );
    default:
      return <span className="badge warning">unsigned</span>;
  }
}
