// What an unknown address shows.
import { Link } from 'react-router-dom';
import { PageHeader } from '../ui/PageHeader';
import { EmptyState } from '../ui/States';

export function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState title="There is nothing at this address">
        <Link to="/">Go to the overview</Link>
      </EmptyState>
    </>
  );
}
