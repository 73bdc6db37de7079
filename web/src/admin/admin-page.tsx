import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { useSession } from '../session/session';
import type { Column } from '../ui/data-table';
import { PagedList } from '../ui/paged-list';
import { Empty, ErrorNotice } from '../ui/status';
import {
  CancelTranscodeTask,
  OutboxMessagesQuery,
  RetryOutboxMessage,
  RetryTranscodeTask,
  TranscodeTasksQuery,
} from './admin-queries';

const PAGE_SIZE = 20;
// Live tasks move on their own: the lists follow them without a reload.
const POLL_MS = 3_000;
const states = ['PENDING', 'PROCESSING', 'FAILED', 'CANCELLED', 'SUCCEEDED'] as const;
type State = (typeof states)[number];
type Task = ResultOf<typeof TranscodeTasksQuery>['transcodeTasks']['items'][number];
type Message = ResultOf<typeof OutboxMessagesQuery>['outboxMessages']['items'][number];
const c = labels.admin.columns;

const when = (iso: string | null | undefined) => (iso ? labels.units.dateTime(iso) : '—');
const stateOf = (state: string) => labels.admin.states[state] ?? state;
const attemptsOf = (row: { attempts: number; maxAttempts?: number | null }) =>
  `${row.attempts}${row.maxAttempts ? ` / ${row.maxAttempts}` : ''}`;

/** Admins: transcoding tasks and publish outbox messages, their state, attempts and errors, with retry and cancel. */
export function AdminPage() {
  const { claims } = useSession();
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">{labels.admin.title}</h1>
      {claims?.roles.includes('admin') ? (
        <>
          <p className="status">{labels.admin.refreshing}</p>
          <TranscodeTasks />
          <OutboxMessages />
        </>
      ) : (
        <Empty>{labels.admin.needsAdmin}</Empty>
      )}
    </section>
  );
}

/** A state filter and a page number, the page going back to 1 when the filter changes. */
function useFilteredPages() {
  const [state, setState] = useState<State>();
  const [page, setPage] = useState(1);
  const id = useId();
  const filter = (
    <p>
      <label htmlFor={id}>{labels.admin.stateFilter}</label>{' '}
      <select
        id={id}
        value={state ?? ''}
        onChange={(e) => {
          setState(states.find((s) => s === e.target.value));
          setPage(1);
        }}
      >
        <option value="">{labels.admin.any}</option>
        {states.map((s) => (
          <option key={s} value={s}>
            {labels.admin.states[s]}
          </option>
        ))}
      </select>
    </p>
  );
  return { filter, setPage, variables: { filter: state ? { state } : undefined, page: { page, size: PAGE_SIZE } } };
}

function TranscodeTasks() {
  const { filter, setPage, variables } = useFilteredPages();
  const { data, previousData, loading, error, refetch } = useQuery(TranscodeTasksQuery, {
    variables,
    pollInterval: POLL_MS,
  });
  const [retry, retried] = useMutation(RetryTranscodeTask);
  const [cancel, cancelled] = useMutation(CancelTranscodeTask);
  const nameOf = (task: Task) => task.media?.fileName ?? task.fileMd5;
  const columns: Column<Task>[] = [
    { header: c.file, cell: nameOf },
    { header: c.state, cell: (task) => stateOf(task.state) },
    {
      header: c.progress,
      cell: (task) =>
        task.progress == null ? (
          '—'
        ) : (
          <progress max={100} value={task.progress} aria-label={`${nameOf(task)} ${c.progress}`}>
            {task.progress}%
          </progress>
        ),
    },
    { header: c.attempts, cell: attemptsOf },
    {
      header: c.error,
      cell: (task) => (
        <div className="task-error">
          {task.lastError ?? '—'}
          {task.nextAttemptAt && task.state === 'FAILED' && (
            <div className="status">{labels.admin.nextAttempt(when(task.nextAttemptAt))}</div>
          )}
        </div>
      ),
    },
    { header: c.worker, cell: (task) => task.leaseOwner ?? '—' },
    { header: c.created, cell: (task) => when(task.createdAt) },
    {
      header: c.commands,
      cell: (task) => (
        <div className="commands">
          {(task.state === 'FAILED' || task.state === 'CANCELLED') && (
            <button
              type="button"
              aria-label={labels.admin.retryOf(nameOf(task))}
              onClick={() => void retry({ variables: { id: task.id } }).catch(() => undefined)}
            >
              {labels.admin.retry}
            </button>
          )}
          {(task.state === 'PENDING' || task.state === 'PROCESSING' || task.state === 'FAILED') && (
            <button
              type="button"
              className="secondary"
              aria-label={labels.admin.cancelOf(nameOf(task))}
              onClick={() => void cancel({ variables: { id: task.id } }).catch(() => undefined)}
            >
              {labels.admin.cancel}
            </button>
          )}
        </div>
      ),
    },
  ];
  return (
    <section aria-labelledby="transcode-title">
      <h2 id="transcode-title">{labels.admin.transcodeTitle}</h2>
      {filter}
      {retried.error && <ErrorNotice error={retried.error} />}
      {cancelled.error && <ErrorNotice error={cancelled.error} />}
      <PagedList
        list={(data ?? previousData)?.transcodeTasks}
        loading={loading}
        error={error}
        onRetry={() => void refetch()}
        empty={labels.admin.emptyTranscode}
        labelledBy="transcode-title"
        columns={columns}
        rowKey={(task) => task.id}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        pagerLabel={`${labels.admin.transcodeTitle} ${labels.pager.label}`}
      />
    </section>
  );
}

function OutboxMessages() {
  const { filter, setPage, variables } = useFilteredPages();
  const { data, previousData, loading, error, refetch } = useQuery(OutboxMessagesQuery, {
    variables,
    pollInterval: POLL_MS,
  });
  const [retry, retried] = useMutation(RetryOutboxMessage);
  const columns: Column<Message>[] = [
    { header: c.course, cell: (m) => `${m.courseId}${m.version ? ` v${m.version}` : ''}` },
    { header: c.action, cell: (m) => (m.action ? (labels.admin.actions[m.action] ?? m.action) : '—') },
    { header: c.state, cell: (m) => stateOf(m.state) },
    {
      header: c.stages,
      cell: (m) =>
        m.stages.length === 0
          ? '—'
          : m.stages.map((s) => `${s.name}：${labels.admin.stageStates[s.state] ?? s.state}`).join('，'),
    },
    { header: c.attempts, cell: attemptsOf },
    { header: c.error, cell: (m) => <div className="task-error">{m.lastError ?? '—'}</div> },
    { header: c.created, cell: (m) => when(m.createdAt) },
    {
      header: c.commands,
      cell: (m) =>
        (m.state === 'FAILED' || m.state === 'CANCELLED') && (
          <button
            type="button"
            aria-label={labels.admin.retryOf(m.courseId)}
            onClick={() => void retry({ variables: { id: m.id } }).catch(() => undefined)}
          >
            {labels.admin.retry}
          </button>
        ),
    },
  ];
  return (
    <section aria-labelledby="outbox-title">
      <h2 id="outbox-title">{labels.admin.outboxTitle}</h2>
      {filter}
      {retried.error && <ErrorNotice error={retried.error} />}
      <PagedList
        list={(data ?? previousData)?.outboxMessages}
        loading={loading}
        error={error}
        onRetry={() => void refetch()}
        empty={labels.admin.emptyOutbox}
        labelledBy="outbox-title"
        columns={columns}
        rowKey={(m) => m.id}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        pagerLabel={`${labels.admin.outboxTitle} ${labels.pager.label}`}
      />
    </section>
  );
}
