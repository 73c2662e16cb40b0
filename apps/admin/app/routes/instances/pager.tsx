import { formatCount } from '@silo/fleet/format';
import { Link } from 'react-router';
import { useListLink } from './instances-table';

/** Where this page is in the list, and links to its neighbours. */
export function Pager({ page, pageCount, total, size }: { page: number; pageCount: number; total: number; size: number }) {
  const withParams = useListLink();
  const first = total === 0 ? 0 : (page - 1) * size + 1;
  const last = Math.min(total, page * size);
  return (
    <nav className="pager" aria-label="Pages">
      <span>
        {formatCount(first)}–{formatCount(last)} of {formatCount(total)}
      </span>
      {page > 1 ? (
        <Link to={withParams({ page: page - 1 })} rel="prev">
          ← Previous
        </Link>
      ) : (
        <span className="disabled">← Previous</span>
      )}
      <span>
        Page {page} of {pageCount}
      </span>
      {page < pageCount ? (
        <Link to={withParams({ page: page + 1 })} rel="next">
          Next →
        </Link>
      ) : (
        <span className="disabled">Next →</span>
      )}
    </nav>
  );
}
