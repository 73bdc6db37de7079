import { useQuery } from '@apollo/client/react';
import { labels } from '../i18n/labels';
import { Link } from '../routing/router';
import { Empty, ErrorNotice, Loading } from '../ui/status';
import { PublishedCourseQuery } from './published-course-query';

/** A published course as the public sees it, linking to its static page. */
export function PublishedCoursePage({ id }: { id: string }) {
  const { data, loading, error, refetch } = useQuery(PublishedCourseQuery, { variables: { id } });
  const course = data?.publishedCourse;
  // A cover is a picture; a video's still frame stands in should a course's cover be a video.
  const cover = course?.content.cover?.posterUrl ?? course?.content.cover?.url;
  return (
    <article aria-busy={loading}>
      <p>
        <Link to="/">← {labels.course.back}</Link>
      </p>
      <h1>{course ? course.content.name : labels.course.title}</h1>
      {error && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {loading && !data && <Loading />}
      {data && !course && <Empty>{labels.course.notFound}</Empty>}
      {course && (
        <>
          {cover && <img className="cover" src={cover} alt="" width={480} height={270} />}
          <p className="meta">
            {course.content.mtName} / {course.content.stName} · {labels.search.grades[course.content.grade]} ·{' '}
            {labels.search.modes[course.content.teachingMode]} ·{' '}
            {course.content.market?.charge === 'PAID'
              ? labels.search.price(course.content.market.price)
              : labels.search.free}{' '}
            · {labels.course.validDays(course.content.market?.validDays)} ·{' '}
            {labels.course.published(labels.units.date(course.publishedAt))}
          </p>
          {course.content.audience && <p>{labels.course.audience(course.content.audience)}</p>}
          {course.content.description && <p>{course.content.description}</p>}
          <p>
            <a href={course.pageUrl}>{labels.course.staticPage}</a>
          </p>
          {course.content.teachers.length > 0 && (
            <section aria-labelledby="teachers-title">
              <h2 id="teachers-title">{labels.course.teachers}</h2>
              <ul>
                {course.content.teachers.map((t) => (
                  <li key={t.id}>
                    <strong>{t.name}</strong>
                    {t.position && ` · ${t.position}`}
                    {t.introduction && <p>{t.introduction}</p>}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="plan-title">
            <h2 id="plan-title">{labels.course.plan}</h2>
            <ol>
              {course.content.teachplan.map((chapter) => (
                <li key={chapter.id}>
                  {chapter.name}
                  <ol>
                    {chapter.children.map((section) => (
                      <li key={section.id}>
                        {section.name}
                        {section.preview && <span className="badge"> {labels.course.preview}</span>}
                        {section.locked && <span className="badge muted"> {labels.course.locked}</span>}
                      </li>
                    ))}
                  </ol>
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </article>
  );
}
