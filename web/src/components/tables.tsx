// Pieces shared by the data tables: column headers (sortable ones are buttons that say where the next
// press goes) and the row shown when there is nothing to list.
import { Table, Text } from '@mantine/core';
import { IconDown, IconSort, IconUp } from './Icons';

export interface Column {
  key: string;
  label: string;
  /** Server sort key; `-` is prepended for descending. */
  sort?: string;
  /** Sort descending first (numbers: biggest first). */
  descFirst?: boolean;
  align?: 'right';
}

/** A column header; a sort button when the column sorts and the table takes `onSort`. */
export function SortableTh({
  col,
  sort,
  defaultSort,
  onSort,
}: {
  col: Column;
  /** The current sort (undefined: `defaultSort`). */
  sort?: string;
  defaultSort?: string;
  onSort?: (s: string) => void;
}) {
  if (!col.sort || !onSort) return <Table.Th ta={col.align}>{col.label}</Table.Th>;
  const current = sort ?? defaultSort;
  const asc = current === col.sort;
  const desc = current === `-${col.sort}`;
  const next = asc ? `-${col.sort}` : desc ? col.sort : col.descFirst ? `-${col.sort}` : col.sort;
  const Icon = asc ? IconUp : desc ? IconDown : IconSort;
  return (
    <Table.Th ta={col.align} aria-sort={asc ? 'ascending' : desc ? 'descending' : 'none'}>
      <button
        type="button"
        className="sort-button"
        onClick={() => onSort(next)}
        data-testid={`sort-${col.key}`}
        aria-label={`Sort by ${col.label}${asc ? ', descending' : desc ? ', ascending' : ''}`}
      >
        {col.label}
        <Icon size={14} style={{ opacity: asc || desc ? 1 : 0.4 }} />
      </button>
    </Table.Th>
  );
}

/** The header row of `columns`. */
export function HeaderRow(props: {
  columns: Column[];
  sort?: string;
  defaultSort?: string;
  onSort?: (s: string) => void;
}) {
  const { columns, ...rest } = props;
  return (
    <Table.Thead>
      <Table.Tr>
        {columns.map((c) => (
          <SortableTh key={c.key} col={c} {...rest} />
        ))}
      </Table.Tr>
    </Table.Thead>
  );
}

/** One full-width row with a dimmed message ("No streams match"). */
export function EmptyRow({
  colSpan,
  ta,
  children,
}: {
  colSpan: number;
  ta?: 'center';
  children: React.ReactNode;
}) {
  return (
    <Table.Tr>
      <Table.Td colSpan={colSpan}>
        <Text c="dimmed" ta={ta} py="md">
          {children}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
