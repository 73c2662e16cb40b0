import type { HTMLAttributes, Key, ReactNode } from 'react';
import { ScrollRegion } from './scroll-region';

/** One column: its header, its cell, and the cell's class (`num`, `detail`, …). */
export interface DataColumn<Row> {
  readonly header: ReactNode;
  readonly cell: (row: Row) => ReactNode;
  readonly className?: string | ((row: Row) => string | undefined);
  /** A tooltip on every cell of the column. */
  readonly title?: string;
  /** The cell names its row for screen readers (`<th scope="row">`). */
  readonly rowHeader?: boolean;
}

/** `data-*` attributes are allowed on rows (tests and styles find rows by them). */
type RowAttributes = HTMLAttributes<HTMLTableRowElement> & { [data: `data-${string}`]: string | undefined };

export interface DataTableProps<Row> {
  readonly columns: readonly DataColumn<Row>[];
  readonly rows: readonly Row[];
  readonly rowKey: (row: Row, index: number) => Key;
  /** The table's accessible name. */
  readonly label?: string;
  /** A caption for screen readers only. */
  readonly caption?: string;
  readonly rowProps?: (row: Row) => RowAttributes;
  /** Shown in one full-width row when there are no rows; nothing when absent. */
  readonly empty?: ReactNode;
  /** Rows of another shape after the regular ones (they span columns as they need). */
  readonly extraRows?: ReactNode;
  /** Below the table, inside its scrolling wrapper. */
  readonly footer?: ReactNode;
  /** Inside a horizontally scrolling wrapper (`.table-wrap`); false for narrow tables in cards. */
  readonly wrap?: boolean;
  readonly tableProps?: HTMLAttributes<HTMLTableElement>;
}

/** The admin's one `<table className="data">`: every listing table renders through it. */
export function DataTable<Row>({ columns, rows, rowKey, label, caption, rowProps, empty, extraRows, footer, wrap = true, tableProps }: DataTableProps<Row>) {
  const table = (
    <table className="data" aria-label={label} {...tableProps}>
      {caption ? <caption className="visually-hidden">{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column, index) => (
            <th key={index} scope="col">
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)} {...rowProps?.(row)}>
            {columns.map((column, c) => {
              const className = typeof column.className === 'function' ? column.className(row) : column.className;
              return column.rowHeader ? (
                <th key={c} scope="row" className={className} title={column.title}>
                  {column.cell(row)}
                </th>
              ) : (
                <td key={c} className={className} title={column.title}>
                  {column.cell(row)}
                </td>
              );
            })}
          </tr>
        ))}
        {extraRows}
        {rows.length === 0 && empty !== undefined ? (
          <tr>
            <td colSpan={Math.max(1, columns.length)} className="empty">
              {empty}
            </td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
  if (!wrap) return table;
  return (
    <ScrollRegion label={label ?? caption ?? 'Table'}>
      {table}
      {footer}
    </ScrollRegion>
  );
}
