import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import { fieldMessage } from '../api/readable-error';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { useSession } from '../session/session';
import { Pager } from '../ui/pager';
import { Empty, ErrorNotice, Loading } from '../ui/status';
import { AuditCourseMutation, AuditQueueQuery } from './audit-queries';

const PAGE_SIZE = 20;
type Submission = ResultOf<typeof AuditQueueQuery>['auditQueue']['items'][number];

/** Auditors: the submissions waiting, the longest waiting first; each read as its course page and decided with an opinion. */
export function AuditPage() {
  const { claims } = useSession();
  const allowed = claims?.roles.some((r) => r === 'auditor' || r === 'admin');
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{labels.audit.title}</h1>
      {allowed ? <Queue /> : <Empty>{labels.audit.needsAuditor}</Empty>}
    </section>
  );
}

function Queue() {
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const { data, previousData, loading, error, refetch } = useQuery(AuditQueueQuery, {
    variables: { page: { page, size: PAGE_SIZE } },
    fetchPolicy: 'cache-and-network',
  });
  const list = (data ?? previousData)?.auditQueue;
  const chosen = list?.items.find((s) => s.courseId === open);
  return (
    <>
      {notice && <p role="status">{notice}</p>}
      {error && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {!list && loading && <Loading />}
      {list && list.total === 0 && <Empty>{labels.audit.empty}</Empty>}
      {list && list.total > 0 && (
        <section aria-labelledby="queue-title">
          <h2 id="queue-title">{labels.audit.queueTitle(list.total)}</h2>
          <ol className="queue">
            {list.items.map((s) => (
              <li key={s.courseId}>
                <button
                  type="button"
                  className={s.courseId === open ? 'link current' : 'link'}
                  aria-current={s.courseId === open ? 'true' : undefined}
                  onClick={() => {
                    setOpen(s.courseId);
                    setNotice(undefined);
                  }}
                >
                  {s.name}
                </button>{' '}
                <span className="meta">{labels.audit.waiting(s.organisationId, waitedSince(s.submittedAt))}</span>
              </li>
            ))}
          </ol>
          <Pager page={list.page} total={list.total} size={PAGE_SIZE} hasNext={list.hasNext} onPage={setPage} />
        </section>
      )}
      {chosen && (
        <Review
          key={chosen.courseId}
          submission={chosen}
          onDecided={(message) => {
            setOpen(undefined);
            setNotice(message);
            void refetch();
          }}
        />
      )}
    </>
  );
}

function waitedSince(iso: string): string {
  return labels.units.seconds(Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000));
}

function Review({ submission, onDecided }: { submission: Submission; onDecided(message: string): void }) {
  const [decide, { loading, error }] = useMutation(AuditCourseMutation);
  const [decision, setDecision] = useState<'APPROVE' | 'REJECT'>('APPROVE');
  const ids = { opinion: useId(), opinionProblem: useId() };
  const opinionProblem = fieldMessage(error, 'opinion');

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const opinion = String(new FormData(event.currentTarget).get('opinion') ?? '').trim();
    try {
      await decide({
        variables: { input: { courseId: submission.courseId, decision, opinion: opinion || undefined } },
      });
      onDecided(
        decision === 'APPROVE' ? labels.audit.approved(submission.name) : labels.audit.rejected(submission.name),
      );
    } catch {
      // Shown from the mutation's error below.
    }
  };

  return (
    <section aria-labelledby="review-title" className="review">
      <h2 id="review-title">{labels.audit.reviewTitle(submission.name)}</h2>
      <p className="meta">
        {labels.audit.submitted(submission.submittedBy, labels.units.dateTime(submission.submittedAt))}
      </p>
      {/* The snapshot's own page: no scripts, no same-origin access, nothing it links to opens here. */}
      <iframe
        title={labels.audit.snapshotFrame(submission.name)}
        sandbox=""
        srcDoc={submission.html}
        className="snapshot"
      />
      <form onSubmit={submit} className="card decision">
        <fieldset>
          <legend>{labels.audit.decision}</legend>
          <label>
            <input
              type="radio"
              name="decision"
              checked={decision === 'APPROVE'}
              onChange={() => setDecision('APPROVE')}
            />
            {labels.audit.approve}
          </label>
          <label>
            <input
              type="radio"
              name="decision"
              checked={decision === 'REJECT'}
              onChange={() => setDecision('REJECT')}
            />
            {labels.audit.reject}
          </label>
        </fieldset>
        <label htmlFor={ids.opinion}>
          {decision === 'REJECT' ? labels.audit.opinionRequired : labels.audit.opinion}
        </label>
        <textarea
          id={ids.opinion}
          name="opinion"
          rows={4}
          maxLength={500}
          aria-invalid={opinionProblem !== undefined}
          aria-describedby={opinionProblem ? ids.opinionProblem : undefined}
        />
        {opinionProblem && (
          <p id={ids.opinionProblem} className="field-error">
            {opinionProblem}
          </p>
        )}
        {error && <ErrorNotice error={error} />}
        <button type="submit" disabled={loading}>
          {labels.audit.submit}
        </button>
      </form>
    </section>
  );
}
