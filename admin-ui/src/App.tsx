// Routes: one per screen; the heavy screens (grid, code editor, charts) load on first visit.
import { lazy, Suspense } from 'react';
import { Route, Routes, useLocation } from 'react-router-dom';
import { Shell } from './layout/Shell';
import { Home } from './layout/Home';
import { NotFound } from './layout/NotFound';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { Loading } from './ui/States';

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

export function App() {
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
          <Route path="/types" element={<TypeList />} />
          <Route path="/types/new" element={<TypeDesigner />} />
          <Route path="/types/:name" element={<TypeDesigner />} />
          <Route path="/packages" element={<PackageList />} />
          <Route path="/packages/:name" element={<PackageDetail />} />
          <Route path="/reports" element={<ReportList />} />
          <Route path="/reports/:name" element={<ReportView />} />
          <Route path="/plugin-jobs" element={<PluginJobs />} />
          <Route path="/trusted-publishers" element={<TrustedPublishers />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
      </ErrorBoundary>
    </Shell>
  );
}
