import { type Column, DataTable } from './data-table';
import { Pager } from './pager';
import { Empty, ErrorNotice, Loading } from './status';

export interface Page<T> {
  items: readonly T[];
  total: number;
  page: number;
  hasNext: boolean;
}

/** One page of a list as a table with its pager, or why there is none: loading, an error, nothing there. */
export function PagedList<T>({
  list,
  loading,
  error,
  onRetry,
  empty,
  labelledBy,
  columns,
  rowKey,
  pageSize,
  onPage,
  pagerLabel,
}: {
  list: Page<T> | undefined;
  loading: boolean;
  error: unknown;
  onRetry(): void;
  /** What to say when the list is empty. */
  empty: string;
  labelledBy: string;
  columns: readonly Column<T>[];
  rowKey(row: T): string;
  pageSize: number;
  onPage(page: number): void;
  pagerLabel?: string;
}) {
  return (
    <>
      {error !== undefined && <ErrorNotice error={error} onRetry={onRetry} />}
      {!list && loading && <Loading />}
      {list && list.total === 0 && <Empty>{empty}</Empty>}
      {list && list.total > 0 && (
        <>
          <DataTable labelledBy={labelledBy} columns={columns} rows={list.items} rowKey={rowKey} />
          <Pager
            page={list.page}
            total={list.total}
            size={pageSize}
            hasNext={list.hasNext}
            onPage={onPage}
            label={pagerLabel}
          />
        </>
      )}
    </>
  );
}
