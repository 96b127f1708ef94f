// A screen's heading, its subtitle and its actions; also names the browser tab.
import { useEffect, type ReactNode } from 'react';

interface Props {
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  breadcrumb?: ReactNode;
}

export function PageHeader({ title, subtitle, actions, breadcrumb }: Props) {
  useEffect(() => {
    document.title = `${title} · xrm`;
  }, [title]);
  return (
    <div className="page-header">
      <div className="page-header-text">
        {breadcrumb && <div className="breadcrumb">{breadcrumb}</div>}
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
