import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { storedToken, useSession } from '../session/session';
import type { Column } from '../ui/data-table';
import { PagedList } from '../ui/paged-list';
import { Empty, ErrorNotice } from '../ui/status';
import { DeleteMediaMutation, MediaFilesQuery } from './media-queries';
import { UploadPanel } from './upload-panel';

const PAGE_SIZE = 20;
const types = ['VIDEO', 'DOCUMENT', 'IMAGE'] as const;
type MediaType = (typeof types)[number];
const LIVE = new Set(['PENDING', 'PROCESSING']);
type Item = ResultOf<typeof MediaFilesQuery>['mediaFiles']['items'][number];

/** Authors: uploads, and the organisation's library with transcoding followed live. */
export function MediaLibraryPage() {
  const { claims } = useSession();
  return (
    <section aria-labelledby="media-title">
      <h1 id="media-title">{labels.media.title}</h1>
      {claims?.organisation ? <Library /> : <Empty>{labels.media.needsMember}</Empty>}
    </section>
  );
}

function Library() {
  const [name, setName] = useState('');
  const [type, setType] = useState<MediaType>();
  const [page, setPage] = useState(1);
  const [polling, setPolling] = useState(false);
  const { data, previousData, loading, error, refetch } = useQuery(MediaFilesQuery, {
    variables: { filter: { name: name || undefined, type }, page: { page, size: PAGE_SIZE } },
    // Followed while something transcodes, so its state and progress move on screen.
    pollInterval: polling ? 3_000 : 0,
  });
  const list = (data ?? previousData)?.mediaFiles;
  const live = list?.items.some((m) => LIVE.has(m.transcodeState)) ?? false;
  if (live !== polling) setPolling(live);
  const [remove, removal] = useMutation(DeleteMediaMutation);
  const ids = { name: useId(), type: useId() };
  const c = labels.media.columns;
  const columns: Column<Item>[] = [
    {
      header: c.poster,
      cell: (m) => (m.posterUrl ? <img src={m.posterUrl} alt="" width={96} height={54} className="poster" /> : '—'),
    },
    { header: c.name, cell: (m) => m.fileName },
    { header: c.type, cell: (m) => labels.media.types[m.type] ?? m.type },
    { header: c.size, cell: (m) => labels.units.bytes(Number(m.size)) },
    {
      header: c.state,
      cell: (m) => (
        <>
          {labels.media.transcode[m.transcodeState] ?? m.transcodeState}
          {m.transcodeState === 'PROCESSING' && m.transcodeProgress != null && (
            <progress max={100} value={m.transcodeProgress} aria-label={labels.media.transcodeProgressOf(m.fileName)} />
          )}
        </>
      ),
    },
    { header: c.created, cell: (m) => labels.units.dateTime(m.createdAt) },
    {
      header: c.commands,
      cell: (m) => (
        <div className="commands">
          <a href={m.url} target="_blank" rel="noreferrer">
            {labels.media.open}
          </a>
          <button
            type="button"
            className="secondary"
            aria-label={labels.media.deleteOf(m.fileName)}
            onClick={() =>
              void remove({ variables: { id: m.id } }).then(
                () => refetch(),
                () => undefined,
              )
            }
          >
            {labels.media.delete}
          </button>
        </div>
      ),
    },
  ];

  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setName(String(new FormData(event.currentTarget).get('name') ?? '').trim());
    setPage(1);
  };

  return (
    <>
      <UploadPanel token={storedToken} onUploaded={() => void refetch()} />
      <section aria-labelledby="library-title">
        <h2 id="library-title">{labels.media.libraryTitle}</h2>
        <form className="search-bar" onSubmit={search}>
          <label htmlFor={ids.name}>{labels.media.nameFilter}</label>
          <input id={ids.name} name="name" type="search" maxLength={255} defaultValue={name} />
          <button type="submit">{labels.search.submit}</button>
          <label htmlFor={ids.type}>{labels.media.typeFilter}</label>
          <select
            id={ids.type}
            value={type ?? ''}
            onChange={(e) => {
              setType(types.find((t) => t === e.target.value));
              setPage(1);
            }}
          >
            <option value="">{labels.media.any}</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {labels.media.types[t]}
              </option>
            ))}
          </select>
        </form>
        {removal.error && <ErrorNotice error={removal.error} />}
        <PagedList
          list={list}
          loading={loading}
          error={error}
          onRetry={() => void refetch()}
          empty={name || type ? labels.media.noMatch : labels.media.empty}
          labelledBy="library-title"
          columns={columns}
          rowKey={(m) => m.id}
          pageSize={PAGE_SIZE}
          onPage={setPage}
        />
      </section>
    </>
  );
}
