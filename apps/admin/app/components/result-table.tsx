import { cellText } from '../lib/format';
import { DataTable, type DataColumn } from './data-table';

type Row = readonly unknown[];

/** Query results: any columns, NULL dimmed. */
export function ResultTable({ columns, rows, label }: { columns: readonly string[]; rows: readonly Row[]; label: string }) {
  const cells: DataColumn<Row>[] = columns.map((column, index) => ({
    header: column,
    cell: (row) => cellText(row[index]),
    className: (row) => (row[index] === null ? 'muted' : undefined),
  }));
  return <DataTable label={label} columns={cells} rows={rows} rowKey={(_row, index) => index} empty="No rows." />;
}
