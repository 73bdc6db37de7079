import { AdminPage } from './admin/admin-page';
import { AuditPage } from './audit/audit-page';
import { CourseEditorPage } from './authoring/course-editor-page';
import { CourseListPage } from './authoring/course-list-page';
import { PublishedCoursePage } from './courses/published-course-page';
import { labels } from './i18n/labels';
import { MediaLibraryPage } from './media/media-library-page';
import { Link, useLocation } from './routing/router';
import { CourseSearchPage } from './search/course-search-page';
import { useSession } from './session/session';
import { SignInPage } from './session/sign-in-page';
import { Empty } from './ui/status';

function Page({ path }: { path: string }) {
  if (path === '/') return <CourseSearchPage />;
  if (path === '/sign-in') return <SignInPage />;
  if (path === '/admin') return <AdminPage />;
  if (path === '/media') return <MediaLibraryPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/authoring' || path === '/authoring/new')
    return <CourseListPage creating={path === '/authoring/new'} />;
  const editing = /^\/authoring\/([^/]+)$/.exec(path);
  if (editing) return <CourseEditorPage id={decodeURIComponent(editing[1])} />;
  const course = /^\/courses\/([^/]+)$/.exec(path);
  if (course) return <PublishedCoursePage id={decodeURIComponent(course[1])} />;
  return (
    <section>
      <h1>{labels.state.noPage}</h1>
      <Empty>{labels.state.noPageHint(path)}</Empty>
      <Link to="/">{labels.course.back}</Link>
    </section>
  );
}

export function App() {
  const { pathname } = useLocation();
  const { claims, signOut } = useSession();
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          {labels.siteName}
        </Link>
        <nav aria-label={labels.nav.main}>
          <Link to="/">{labels.nav.search}</Link>
          {claims?.organisation && <Link to="/authoring">{labels.authoring.nav}</Link>}
          {claims?.organisation && <Link to="/media">{labels.media.nav}</Link>}
          {claims?.roles.some((r) => r === 'auditor' || r === 'admin') && <Link to="/audit">{labels.audit.nav}</Link>}
          {claims?.roles.includes('admin') && <Link to="/admin">{labels.admin.nav}</Link>}
        </nav>
        <div className="who">
          {claims ? (
            <>
              <span>
                {labels.signIn.signedInAs(claims.user, claims.roles.map((r) => labels.roles[r] ?? r).join('、'))}
              </span>
              <button type="button" onClick={signOut}>
                {labels.nav.signOut}
              </button>
            </>
          ) : (
            <Link to="/sign-in">{labels.nav.signIn}</Link>
          )}
        </div>
      </header>
      <main>
        <Page path={pathname} />
      </main>
    </>
  );
}
