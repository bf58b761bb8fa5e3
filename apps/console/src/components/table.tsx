import { type KeyboardEvent, type ReactNode, useRef } from 'react';

export interface Column<T> {
  label: string;
  render: (row: T) => ReactNode;
  /** The API's sort field, when the column can be sorted. */
  sort?: string;
  className?: string;
}

export interface SortState {
  sort: string;
  order: 'asc' | 'desc';
}

/**
 * A table whose rows are reachable with Tab or the arrow keys and open with Enter. Sortable columns
 * are buttons in the header (aria-sort says the current order).
 */
export function DataTable<T>(props: {
  label: string;
  columns: Array<Column<T>>;
  rows: T[];
  rowKey: (row: T) => string;
  onOpen?: (row: T) => void;
  sort?: SortState;
  onSort?: (s: SortState) => void;
  empty?: ReactNode;
  rowClass?: (row: T) => string | undefined;
  testId?: string;
}) {
  const body = useRef<HTMLTableSectionElement>(null);
  const { columns, rows, onOpen, sort, onSort } = props;

  return (
    <div className="table-wrap">
      <table aria-label={props.label} data-testid={props.testId}>
        <TableHead columns={columns} sort={sort} onSort={onSort} />
        <tbody ref={body}>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="muted">
                {props.empty ?? 'Nothing here yet.'}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr
                key={props.rowKey(row)}
                data-key={props.rowKey(row)}
                tabIndex={onOpen ? 0 : undefined}
                className={[onOpen ? 'clickable' : '', props.rowClass?.(row) ?? ''].join(' ').trim() || undefined}
                onClick={onOpen ? (e) => !(e.target as HTMLElement).closest('a,button,input,label,select,summary') && onOpen(row) : undefined}
                onKeyDown={(e) => onRowKey(e, row, onOpen, body.current)}
              >
                {columns.map((c) => (
                  <td key={c.label} className={c.className}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Enter opens the row; the arrows, Home and End move the focus between rows. */
function onRowKey<T>(e: KeyboardEvent<HTMLTableRowElement>, row: T, onOpen: ((row: T) => void) | undefined, body: HTMLTableSectionElement | null): void {
  if (e.target !== e.currentTarget) return;
  if (e.key === 'Enter' && onOpen) {
    e.preventDefault();
    onOpen(row);
  } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const next = e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling;
    (next as HTMLElement | null)?.focus();
  } else if (e.key === 'Home' || e.key === 'End') {
    e.preventDefault();
    const all = body?.rows;
    if (all && all.length) (e.key === 'Home' ? all[0] : all[all.length - 1])?.focus();
  }
}

function TableHead<T>({ columns, sort, onSort }: { columns: Array<Column<T>>; sort?: SortState; onSort?: (s: SortState) => void }) {
  const header = (c: Column<T>) => {
    if (!c.sort || !onSort || !sort) return c.label;
    const active = sort.sort === c.sort;
    const next: SortState = { sort: c.sort, order: active && sort.order === 'asc' ? 'desc' : 'asc' };
    return (
      <button type="button" className="sort" onClick={() => onSort(next)}>
        {c.label} <span aria-hidden="true">{active ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}</span>
      </button>
    );
  };
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th
            key={c.label}
            scope="col"
            className={c.className}
            aria-sort={c.sort && sort?.sort === c.sort ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}
          >
            {header(c)}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function Pager({ total, limit, offset, onOffset }: { total: number; limit: number; offset: number; onOffset: (o: number) => void }) {
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label="pages">
      <span>
        {total === 0 ? 0 : offset + 1}–{last} of {total}
      </span>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button type="button" disabled={last >= total} onClick={() => onOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}
