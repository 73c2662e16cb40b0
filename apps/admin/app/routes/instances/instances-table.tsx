import { flexRender, getCoreRowModel, useReactTable, type SortingState } from '@tanstack/react-table';
import { Link, useSearchParams } from 'react-router';
import type { InstanceRowView, MetricColumn } from '../../lib/instances';
import type { ListParams } from '../../lib/instances.server';
import { useInstanceColumns } from './columns';
import type { SelectionControls } from './selection';
import { useHydrated } from '../../components/hydrated';
import { ScrollRegion } from '../../components/scroll-region';

/** A link target: the current list address with some parameters changed (null or '' removes one). */
export function useListLink(): (changes: Record<string, string | number | null>) => string {
  const [searchParams] = useSearchParams();
  return (changes) => {
    const next = new URLSearchParams(searchParams);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, String(value));
    }
    const query = next.toString();
    return query ? `?${query}` : '?';
  };
}

interface Props {
  items: InstanceRowView[];
  total: number;
  params: ListParams;
  pageCount: number;
  latestVersion: number;
  now: number;
  metrics: readonly MetricColumn[];
  loadingList: boolean;
  controls: SelectionControls;
}

/**
 * The instance list: sorted and paged by the server (sort links in the headers), so TanStack
 * Table only lays out the page it is given. The other admin tables are static: DataTable.
 */
export function InstancesTable({ items, total, params, pageCount, latestVersion, now, metrics, loadingList, controls }: Props) {
  const { selection } = controls;
  // The checkboxes only feed the bulk actions, which need the page's script: off until it runs.
  const hydrated = useHydrated();
  const pageNames = items.map((item) => item.name);
  const checkedOnPage = pageNames.filter((name) => selection.allMatching || selection.names.has(name)).length;
  const withParams = useListLink();
  const columns = useInstanceColumns({ latestVersion, now, metrics });
  const sorting: SortingState = [{ id: params.sort, desc: params.order === 'desc' }];
  const table = useReactTable({
    data: items,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    pageCount,
    state: { sorting, pagination: { pageIndex: params.page - 1, pageSize: params.size } },
    getRowId: (row) => row.name,
  });
  return (
    <ScrollRegion label="Instances" className={loadingList ? 'dim' : undefined} aria-busy={loadingList}>
      {/* ARIA counts every row of the whole table, its header row included (1), and each shown
          row says where it is in it, so a screen reader reads "row 27 of 101" on page 2. */}
      <table className="data" aria-label="Instances" aria-rowcount={total + 1}>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id} aria-rowindex={1}>
              <th scope="col" className="select-cell">
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={pageNames.length > 0 && checkedOnPage === pageNames.length}
                  ref={(box) => {
                    if (box) box.indeterminate = checkedOnPage > 0 && checkedOnPage < pageNames.length;
                  }}
                  disabled={!hydrated || pageNames.length === 0}
                  onChange={(event) => controls.setPage(pageNames, event.currentTarget.checked)}
                />
              </th>
              {group.headers.map((header) => {
                const sortable = header.column.getCanSort();
                const active = params.sort === header.column.id;
                const nextOrder = active && params.order === 'asc' ? 'desc' : 'asc';
                return (
                  <th key={header.id} scope="col" aria-sort={active ? (params.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                    {sortable ? (
                      <Link to={withParams({ sort: header.column.id, order: nextOrder, page: null })} preventScrollReset className="sort">
                        {flexRender(header.column.columnDef.header, header.getContext())}
                        <span aria-hidden="true">{active ? (params.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                      </Link>
                    ) : (
                      flexRender(header.column.columnDef.header, header.getContext())
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row, index) => (
            <tr key={row.id} data-instance={row.id} aria-rowindex={(params.page - 1) * params.size + index + 2}>
              <td className="select-cell">
                <input
                  type="checkbox"
                  aria-label={`Select ${row.id}`}
                  checked={selection.allMatching || selection.names.has(row.id)}
                  disabled={!hydrated}
                  onChange={(event) => controls.toggle(row.id, event.currentTarget.checked)}
                />
              </td>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id} data-column={cell.column.id}>
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </td>
              ))}
            </tr>
          ))}
          {items.length === 0 ? (
            <tr>
              <td colSpan={columns.length + 1} className="empty">
                No instances match.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
