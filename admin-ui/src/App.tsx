// Routes: the login page, then one per screen behind the session; the heavy screens (grid, code
// editor, charts) load on first visit. Admin screens open only for the roles that may use them.
import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes, useLocation } from 'react-router-dom';
import { Require, admins, auditors, instanceAdmins, reporters } from './auth/Require';
import { SessionProvider, type Access } from './auth/session';
import { Shell } from './layout/Shell';
import { Home } from './layout/Home';
import { NotFound } from './layout/NotFound';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { Loading } from './ui/States';

const Login = lazy(() => import('./auth/Login'));
const RecordList = lazy(() => import('./records/RecordList'));
const RecordDetail = lazy(() => import('./records/RecordDetail'));
const RecordEditor = lazy(() => import('./records/RecordEditor'));
const TypeList = lazy(() => import('./designer/TypeList'));
const TypeDesigner = lazy(() => import('./designer/TypeDesigner'));
const PackageList = lazy(() => import('./packages/PackageList'));
const PackageDetail = lazy(() => import('./packages/PackageDetail'));
const ReportList = lazy(() => import('./reports/ReportList'));
const ReportView = lazy(() => import('./reports/ReportView'));
const PluginJobs = lazy(() => import('./admin/PluginJobs'));
const TrustedPublishers = lazy(() => import('./admin/TrustedPublishers'));
const Users = lazy(() => import('./admin/Users'));
const Teams = lazy(() => import('./admin/Teams'));
const Roles = lazy(() => import('./admin/Roles'));
const RoleEditor = lazy(() => import('./admin/RoleEditor'));
const Tokens = lazy(() => import('./admin/Tokens'));
const Workspaces = lazy(() => import('./admin/Workspaces'));
const AuditLog = lazy(() => import('./admin/AuditLog'));

function guarded(allowed: (access: Access) => boolean, what: string, screen: ReactNode) {
  return (
    <Require allowed={allowed} what={what}>
      {screen}
    </Require>
  );
}

function Screens() {
  const location = useLocation();
  return (
    <Shell>
      <ErrorBoundary key={location.pathname}>
        <Suspense fallback={<Loading label="Loading the screen" />}>
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/records/:type" element={<RecordList />} />
            <Route path="/records/:type/new" element={<RecordEditor />} />
            <Route path="/records/:type/:id" element={<RecordDetail />} />
            <Route path="/records/:type/:id/edit" element={<RecordEditor />} />
            <Route path="/types" element={guarded(admins, 'entity types', <TypeList />)} />
            <Route path="/types/new" element={guarded(admins, 'the type designer', <TypeDesigner />)} />
            <Route path="/types/:name" element={guarded(admins, 'the type designer', <TypeDesigner />)} />
            <Route path="/packages" element={guarded(admins, 'packages', <PackageList />)} />
            <Route path="/packages/:name" element={guarded(admins, 'packages', <PackageDetail />)} />
            <Route path="/reports" element={guarded(reporters, 'reports', <ReportList />)} />
            <Route path="/reports/:name" element={guarded(reporters, 'reports', <ReportView />)} />
            <Route path="/plugin-jobs" element={guarded(admins, 'plugin deliveries', <PluginJobs />)} />
            <Route path="/trusted-publishers" element={guarded(admins, 'trusted publishers', <TrustedPublishers />)} />
            <Route path="/admin/users" element={guarded(admins, 'users', <Users />)} />
            <Route path="/admin/teams" element={guarded(admins, 'teams', <Teams />)} />
            <Route path="/admin/roles" element={guarded(admins, 'roles', <Roles />)} />
            <Route path="/admin/roles/new" element={guarded(admins, 'roles', <RoleEditor />)} />
            <Route path="/admin/roles/:name" element={guarded(admins, 'roles', <RoleEditor />)} />
            <Route path="/admin/tokens" element={guarded(admins, 'API tokens', <Tokens />)} />
            <Route path="/admin/workspaces" element={guarded(instanceAdmins, 'workspaces', <Workspaces />)} />
            <Route path="/admin/audit" element={guarded(auditors, 'the audit log', <AuditLog />)} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </ErrorBoundary>
    </Shell>
  );
}

export function App() {
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <Suspense fallback={<Loading label="Loading" />}>
            <Login />
          </Suspense>
        }
      />
      <Route
        path="*"
        element={
          <SessionProvider>
            <Screens />
          </SessionProvider>
        }
      />
    </Routes>
  );
}
