import { labels } from '../i18n/labels';

/** Previous and next for a paged list, with where the reader is. */
export function Pager({
  page,
  total,
  size,
  hasNext,
  onPage,
  label = labels.pager.label,
}: {
  page: number;
  total: number;
  size: number;
  hasNext: boolean;
  onPage(page: number): void;
  /** Names this pager among others on the page. */
  label?: string;
}) {
  const pages = Math.max(1, Math.ceil(total / size));
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {labels.pager.previous}
      </button>
      <span>{labels.pager.pageOf(page, pages)}</span>
      <button type="button" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        {labels.pager.next}
      </button>
    </nav>
  );
}
