import { useLazyQuery, useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import { readableError } from '../api/readable-error';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { Link } from '../routing/router';
import { DataTable } from '../ui/data-table';
import { Empty, ErrorNotice, Loading } from '../ui/status';
import { CourseFieldsForm } from './course-fields-form';
import {
  BringCourseOnlineMutation,
  CourseEditorQuery,
  CoursePreviewQuery,
  DeleteTeacherMutation,
  LibraryChoicesQuery,
  PublishCourseMutation,
  SaveTeacherMutation,
  SubmitCourseMutation,
  TakeCourseOfflineMutation,
  UpdateCourseMutation,
} from './course-queries';
import { TeachplanEditor } from './teachplan-editor';

type Course = NonNullable<ResultOf<typeof CourseEditorQuery>['course']>;
const a = labels.authoring;

/** Authors: one course, every part of it, and its way through audit to publication. */
export function CourseEditorPage({ id }: { id: string }) {
  const { data, loading, error, refetch } = useQuery(CourseEditorQuery, {
    variables: { id },
    fetchPolicy: 'cache-and-network',
  });
  const course = data?.course;
  const refresh = () => refetch();
  return (
    <article aria-labelledby="editor-title">
      <p>
        <Link to="/authoring">← {a.back}</Link>
      </p>
      <h1 id="editor-title">{course ? a.editTitle(course.name) : a.title}</h1>
      {error && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {!data && loading && <Loading />}
      {data && !course && <Empty>{labels.course.notFound}</Empty>}
      {course && (
        <>
          <p className="meta">
            {a.auditStates[course.auditStatus]} · {a.publishStates[course.publishStatus]}
          </p>
          <Base course={course} refresh={refresh} />
          <Cover course={course} refresh={refresh} />
          <TeachplanEditor courseId={course.id} chapters={course.teachplan} refresh={refresh} />
          <Teachers course={course} refresh={refresh} />
          <Preview course={course} />
          <Lifecycle course={course} refresh={refresh} />
          <History course={course} />
        </>
      )}
    </article>
  );
}

function Base({ course, refresh }: { course: Course; refresh(): Promise<unknown> }) {
  const [update] = useMutation(UpdateCourseMutation);
  const [saved, setSaved] = useState(false);
  return (
    <section aria-labelledby="base-title" id="base">
      <h2 id="base-title">{a.fields.base}</h2>
      <CourseFieldsForm
        key={course.id}
        initial={{
          name: course.name,
          audience: course.audience,
          tags: course.tags,
          description: course.description,
          mt: course.mt,
          st: course.st,
          grade: course.grade,
          teachingMode: course.teachingMode,
          charge: course.market?.charge ?? 'FREE',
          price: course.market?.price,
          originalPrice: course.market?.originalPrice,
          validDays: course.market?.validDays,
          qq: course.market?.qq,
          wechat: course.market?.wechat,
          phone: course.market?.phone,
        }}
        submitLabel={a.save}
        onSave={async (input) => {
          setSaved(false);
          await update({ variables: { id: course.id, input } });
          setSaved(true);
          await refresh();
        }}
      />
      {saved && <p role="status">{a.saved}</p>}
    </section>
  );
}

function Cover({ course, refresh }: { course: Course; refresh(): Promise<unknown> }) {
  const { data } = useQuery(LibraryChoicesQuery, { variables: { type: 'IMAGE' }, fetchPolicy: 'cache-and-network' });
  const [update, { error }] = useMutation(UpdateCourseMutation);
  const id = useId();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const coverMediaId = String(new FormData(event.currentTarget).get('cover') ?? '');
    if (coverMediaId)
      void update({ variables: { id: course.id, input: { coverMediaId } } }).then(refresh, () => undefined);
  };
  return (
    <section aria-labelledby="cover-title" id="cover">
      <h2 id="cover-title">{a.cover}</h2>
      {course.cover ? (
        <img src={course.cover.url} alt={course.cover.fileName} className="cover" width={320} height={180} />
      ) : (
        <p className="status">{a.noCover}</p>
      )}
      <form className="plan-row" onSubmit={submit}>
        <label htmlFor={id}>{a.coverChoice}</label>
        <select id={id} name="cover" defaultValue="">
          <option value="">{a.choose}</option>
          {data?.mediaFiles.items.map((m) => (
            <option key={m.id} value={m.id}>
              {m.fileName}
            </option>
          ))}
        </select>
        <button type="submit">{a.setCover}</button>
      </form>
      <p className="status">
        {a.uploadHint} <Link to="/media">{labels.media.nav}</Link>
      </p>
      {error && <ErrorNotice error={error} />}
    </section>
  );
}

function Teachers({ course, refresh }: { course: Course; refresh(): Promise<unknown> }) {
  const [save, saved] = useMutation(SaveTeacherMutation);
  const [remove, removed] = useMutation(DeleteTeacherMutation);
  const ids = { name: useId(), position: useId(), introduction: useId() };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? '').trim() || undefined;
    void save({
      variables: {
        input: {
          courseId: course.id,
          name: value('name') ?? '',
          position: value('position'),
          introduction: value('introduction'),
        },
      },
    }).then(
      () => {
        form.reset();
        return refresh();
      },
      () => undefined,
    );
  };
  return (
    <section aria-labelledby="teachers-title">
      <h2 id="teachers-title">{a.teachers}</h2>
      {saved.error && <ErrorNotice error={saved.error} />}
      {removed.error && <ErrorNotice error={removed.error} />}
      <ul>
        {course.teachers.map((t) => (
          <li key={t.id}>
            <strong>{t.name}</strong>
            {t.position && ` · ${t.position}`}{' '}
            <button
              type="button"
              className="secondary"
              onClick={() => void remove({ variables: { id: t.id } }).then(refresh, () => undefined)}
            >
              {a.actionOn(a.remove, t.name)}
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="card">
        <label htmlFor={ids.name}>{a.teacherName}</label>
        <input id={ids.name} name="name" required maxLength={50} />
        <label htmlFor={ids.position}>{a.teacherPosition}</label>
        <input id={ids.position} name="position" maxLength={100} />
        <label htmlFor={ids.introduction}>{a.teacherIntroduction}</label>
        <textarea id={ids.introduction} name="introduction" rows={2} />
        <button type="submit">{a.addTeacher}</button>
      </form>
    </section>
  );
}

function Preview({ course }: { course: Course }) {
  const [show, { data, loading, error }] = useLazyQuery(CoursePreviewQuery, { fetchPolicy: 'network-only' });
  return (
    <section aria-labelledby="preview-title">
      <h2 id="preview-title">{a.previewTitle}</h2>
      <button type="button" onClick={() => void show({ variables: { id: course.id } }).catch(() => undefined)}>
        {a.showPreview}
      </button>
      {loading && <Loading />}
      {error && <ErrorNotice error={error} />}
      {data && (
        // The course page as it would be published: no scripts, no same-origin access.
        <iframe title={a.previewFrame(course.name)} sandbox="" srcDoc={data.coursePreview.html} className="snapshot" />
      )}
    </section>
  );
}

/** Where each missing piece the API names is fixed on this page. */
function anchorOf(field: string): string {
  const section = /^teachplan\.([^.]+)\.media$/.exec(field);
  if (section) return `#section-${section[1]}`;
  if (field === 'coverMediaId') return '#cover';
  if (field === 'teachplan') return '#plan';
  return '#base';
}

function Lifecycle({ course, refresh }: { course: Course; refresh(): Promise<unknown> }) {
  const [submit, submitted] = useMutation(SubmitCourseMutation);
  const [publish, published] = useMutation(PublishCourseMutation);
  const [offline, tookOffline] = useMutation(TakeCourseOfflineMutation);
  const [online, broughtOnline] = useMutation(BringCourseOnlineMutation);
  const [notice, setNotice] = useState<string>();
  // The course as the last submit saw it: once it changes, that submit's list of missing pieces may be out of date.
  const [submittedAs, setSubmittedAs] = useState<Course>();
  const variables = { id: course.id };
  const run = (work: Promise<unknown>, message?: string) =>
    void work.then(
      () => {
        setNotice(message);
        return refresh();
      },
      () => setNotice(undefined),
    );
  const missing = submitted.error ? readableError(submitted.error) : undefined;
  const otherError = published.error ?? tookOffline.error ?? broughtOnline.error;
  return (
    <section aria-labelledby="lifecycle-title">
      <h2 id="lifecycle-title">{a.lifecycle}</h2>
      <div className="commands">
        {course.auditStatus !== 'SUBMITTED' && (
          <button
            type="button"
            onClick={() => {
              setSubmittedAs(course);
              run(submit({ variables }), a.submitted);
            }}
          >
            {a.submit}
          </button>
        )}
        {course.auditStatus === 'APPROVED' && (
          <button type="button" onClick={() => run(publish({ variables }), a.published)}>
            {a.publish}
          </button>
        )}
        {course.publishStatus === 'PUBLISHED' && (
          <button type="button" className="secondary" onClick={() => run(offline({ variables }))}>
            {a.offline}
          </button>
        )}
        {course.publishStatus === 'OFFLINE' && (
          <button type="button" onClick={() => run(online({ variables }))}>
            {a.online}
          </button>
        )}
      </div>
      {notice && <p role="status">{notice}</p>}
      {missing && missing.fields.length > 0 ? (
        <div className="error" role="alert">
          <p>
            <strong>{a.missingTitle}</strong>
          </p>
          {submittedAs !== course && <p>{a.missingSince}</p>}
          <ul>
            {missing.fields.map((f) => (
              <li key={`${f.field}:${f.message}`}>
                <a href={anchorOf(f.field)}>{f.message}</a>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        submitted.error && <ErrorNotice error={submitted.error} />
      )}
      {otherError && <ErrorNotice error={otherError} />}
    </section>
  );
}

function History({ course }: { course: Course }) {
  const h = a.historyColumns;
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">{a.history}</h2>
      {course.auditHistory.length === 0 ? (
        <p className="status">{a.noHistory}</p>
      ) : (
        <DataTable
          labelledBy="history-title"
          rowKey={(r) => r.id}
          rows={course.auditHistory}
          columns={[
            { header: h.submitted, cell: (r) => labels.units.dateTime(r.submittedAt) },
            { header: h.decided, cell: (r) => labels.units.dateTime(r.auditedAt) },
            { header: h.auditor, cell: (r) => r.auditorId },
            { header: h.decision, cell: (r) => a.decisions[r.decision] ?? r.decision },
            { header: h.opinion, cell: (r) => r.opinion || '—' },
          ]}
        />
      )}
    </section>
  );
}
