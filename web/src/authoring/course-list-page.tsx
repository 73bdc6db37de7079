import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { Link, navigate } from '../routing/router';
import { useSession } from '../session/session';
import type { Column } from '../ui/data-table';
import { PagedList } from '../ui/paged-list';
import { Empty } from '../ui/status';
import { CourseFieldsForm } from './course-fields-form';
import { CreateCourseMutation, OrganisationCoursesQuery } from './course-queries';

const PAGE_SIZE = 20;
const a = labels.authoring;
type Row = ResultOf<typeof OrganisationCoursesQuery>['courses']['items'][number];

/** Authors: the organisation's courses, most recently changed first, and a new one. */
export function CourseListPage({ creating }: { creating: boolean }) {
  const { claims } = useSession();
  if (!claims?.organisation)
    return (
      <section>
        <h1>{a.title}</h1>
        <Empty>{a.needsMember}</Empty>
      </section>
    );
  return creating ? <NewCourse /> : <Courses />;
}

function Courses() {
  const [page, setPage] = useState(1);
  const { data, previousData, loading, error, refetch } = useQuery(OrganisationCoursesQuery, {
    variables: { page: { page, size: PAGE_SIZE } },
    fetchPolicy: 'cache-and-network',
  });
  const c = a.columns;
  const columns: Column<Row>[] = [
    { header: c.name, cell: (course) => <Link to={`/authoring/${encodeURIComponent(course.id)}`}>{course.name}</Link> },
    { header: c.category, cell: (course) => `${course.mtName} / ${course.stName}` },
    { header: c.audit, cell: (course) => a.auditStates[course.auditStatus] ?? course.auditStatus },
    { header: c.publish, cell: (course) => a.publishStates[course.publishStatus] ?? course.publishStatus },
    { header: c.changed, cell: (course) => labels.units.dateTime(course.changedAt) },
  ];
  return (
    <section aria-labelledby="courses-title">
      <h1 id="courses-title">{a.title}</h1>
      <p>
        <Link to="/authoring/new" className="button-link">
          {a.create}
        </Link>
      </p>
      <PagedList
        list={(data ?? previousData)?.courses}
        loading={loading}
        error={error}
        onRetry={() => void refetch()}
        empty={a.empty}
        labelledBy="courses-title"
        columns={columns}
        rowKey={(course) => course.id}
        pageSize={PAGE_SIZE}
        onPage={setPage}
      />
    </section>
  );
}

function NewCourse() {
  const [create] = useMutation(CreateCourseMutation);
  return (
    <section aria-labelledby="new-course-title">
      <p>
        <Link to="/authoring">← {a.back}</Link>
      </p>
      <h1 id="new-course-title">{a.createTitle}</h1>
      <CourseFieldsForm
        submitLabel={a.create}
        onSave={async (input) => {
          const { data } = await create({ variables: { input } });
          if (data) navigate(`/authoring/${encodeURIComponent(data.createCourse.id)}`, { replace: true });
        }}
      />
    </section>
  );
}
