// A screen only some users may open: the others see why instead (the host would refuse them anyway).
import type { ReactNode } from 'react';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState } from '../ui/States';
import { useAccess, type Access } from './session';

export function Require({ allowed, what, children }: { allowed: (access: Access) => boolean; what: string; children: ReactNode }) {
  const access = useAccess();
  if (allowed(access)) return <>{children}</>;
  return (
    <>
      <PageHeader title="Not allowed" />
      <EmptyState title={`Your role (${access.session.user.role}) may not open ${what}.`}>Ask an administrator of the workspace.</EmptyState>
    </>
  );
}

export const admins = (access: Access) => access.admin;
export const auditors = (access: Access) => access.audit;
export const reporters = (access: Access) => access.reports;
export const instanceAdmins = (access: Access) => access.instanceAdmin;
