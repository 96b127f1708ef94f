// The frame around every screen: skip link, top bar, navigation (a drawer on narrow screens), toasts.
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { Toaster } from 'sonner';
import { UserMenu } from '../auth/UserMenu';
import { Nav } from './Nav';

export function Shell({ children }: { children: ReactNode }) {
  const [navOpen, setNavOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setNavOpen(false), [location.pathname]);

  return (
    <div className={navOpen ? 'shell nav-open' : 'shell'}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="nav-toggle"
          aria-expanded={navOpen}
          aria-controls="main-nav"
          onClick={() => setNavOpen((open) => !open)}
        >
          <span aria-hidden="true">☰</span>
          <span className="visually-hidden">Menu</span>
        </button>
        <Link to="/" className="brand">
          xrm <span className="brand-sub">admin</span>
        </Link>
        <span className="toolbar-spacer" />
        <UserMenu />
      </header>
      <Nav id="main-nav" />
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
      <Toaster position="bottom-right" richColors closeButton />
    </div>
  );
}
