import { useQuery } from '@apollo/client/react';
import { type FormEvent, useId } from 'react';
import type { ResultOf } from '../graphql/graphql';
import { labels } from '../i18n/labels';
import { Link, navigate, useLocation } from '../routing/router';
import { Pager } from '../ui/pager';
import { Empty, ErrorNotice, Loading } from '../ui/status';
import { HighlightedName } from './highlighted-name';
import { SearchCoursesQuery } from './search-courses-query';

const PAGE_SIZE = 10;
const sorts = ['RELEVANCE', 'NEWEST', 'PRICE_ASC', 'PRICE_DESC'] as const;
type Sort = (typeof sorts)[number];
const grades = ['BEGINNER', 'INTERMEDIATE', 'ADVANCED'] as const;
type Grade = (typeof grades)[number];
const charges = ['FREE', 'PAID'] as const;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.find((v) => v === value);

/** The search as the address holds it, so a result page can be bookmarked, shared and gone back to. */
function searchOf(url: URL) {
  const p = url.searchParams;
  return {
    keyword: p.get('q') ?? '',
    mt: p.get('mt') || undefined,
    st: p.get('st') || undefined,
    grade: oneOf(grades, p.get('grade')),
    charge: oneOf(charges, p.get('charge')),
    sort: oneOf(sorts, p.get('sort')) ?? 'RELEVANCE',
    page: Math.max(1, Number.parseInt(p.get('page') ?? '1', 10) || 1),
  };
}
type Search = ReturnType<typeof searchOf>;

function addressOf(search: Search): string {
  const p = new URLSearchParams();
  if (search.keyword) p.set('q', search.keyword);
  for (const name of ['mt', 'st', 'grade', 'charge'] as const) if (search[name]) p.set(name, search[name]);
  if (search.sort !== 'RELEVANCE') p.set('sort', search.sort);
  if (search.page > 1) p.set('page', String(search.page));
  const query = p.toString();
  return query ? `/?${query}` : '/';
}

export function CourseSearchPage() {
  const search = searchOf(useLocation());
  const go = (change: Partial<Search>) => navigate(addressOf({ ...search, page: 1, ...change }));
  const { data, previousData, loading, error, refetch } = useQuery(SearchCoursesQuery, {
    variables: {
      input: {
        keyword: search.keyword || undefined,
        mt: search.mt,
        st: search.st,
        grade: search.grade,
        charge: search.charge,
        sort: search.sort,
      },
      page: { page: search.page, size: PAGE_SIZE },
    },
  });
  const result = (data ?? previousData)?.searchCourses;
  const keywordId = useId();
  const sortId = useId();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const keyword = new FormData(event.currentTarget).get('q');
    go({ keyword: typeof keyword === 'string' ? keyword.trim() : '' });
  };

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">{labels.search.title}</h1>
      {/* biome-ignore lint/a11y/useSemanticElements: a form is what submits; its role names it the search landmark in every browser */}
      <form role="search" onSubmit={submit} className="search-bar">
        <label htmlFor={keywordId}>{labels.search.keyword}</label>
        <input
          id={keywordId}
          name="q"
          type="search"
          maxLength={200}
          defaultValue={search.keyword}
          key={search.keyword}
          placeholder={labels.search.keywordPlaceholder}
        />
        <button type="submit">{labels.search.submit}</button>
        <label htmlFor={sortId}>{labels.search.sort}</label>
        <select id={sortId} value={search.sort} onChange={(e) => go({ sort: e.target.value as Sort })}>
          {sorts.map((sort) => (
            <option key={sort} value={sort}>
              {labels.search.sorts[sort]}
            </option>
          ))}
        </select>
      </form>
      <div className="search-layout">
        <nav aria-label={labels.search.filters} className="facets">
          <Facet
            legend={labels.search.facets.mt}
            selected={search.mt}
            options={result?.facets.mt ?? []}
            onSelect={(mt) => go({ mt, st: undefined })}
          />
          <Facet
            legend={labels.search.facets.st}
            selected={search.st}
            options={result?.facets.st ?? []}
            onSelect={(st) => go({ st })}
          />
          <Facet
            legend={labels.search.facets.grade}
            selected={search.grade}
            options={(result?.facets.grade ?? []).map((g) => ({
              ...g,
              name: labels.search.grades[g.value as Grade] ?? g.name,
            }))}
            onSelect={(grade) => go({ grade: oneOf(grades, grade ?? null) })}
          />
          <Facet
            legend={labels.search.facets.charge}
            selected={search.charge}
            options={charges.map((value) => ({ value, name: labels.search.charges[value] }))}
            onSelect={(charge) => go({ charge: oneOf(charges, charge ?? null) })}
          />
        </nav>
        <div className="results" aria-busy={loading}>
          {error && <ErrorNotice error={error} onRetry={() => void refetch()} />}
          {!result && loading && <Loading />}
          {result && <Results result={result} onPage={(page) => go({ page })} />}
        </div>
      </div>
    </section>
  );
}

interface FacetOption {
  value: string;
  name: string;
  count?: number;
}

function Facet({
  legend,
  selected,
  options,
  onSelect,
}: {
  legend: string;
  selected: string | undefined;
  options: readonly FacetOption[];
  onSelect(value: string | undefined): void;
}) {
  const name = useId();
  return (
    <fieldset>
      <legend>{legend}</legend>
      <label>
        <input type="radio" name={name} checked={selected === undefined} onChange={() => onSelect(undefined)} />
        {labels.search.any}
      </label>
      {options.map((option) => (
        <label key={option.value}>
          <input type="radio" name={name} checked={selected === option.value} onChange={() => onSelect(option.value)} />
          {option.name}
          {option.count !== undefined && <span className="count"> ({option.count})</span>}
        </label>
      ))}
    </fieldset>
  );
}

type Result = ResultOf<typeof SearchCoursesQuery>['searchCourses'];

/** The results shown, and their page number: while the next page loads, the last one stays as it was. */
function Results({ result, onPage }: { result: Result; onPage(page: number): void }) {
  if (result.total === 0) return <Empty>{labels.search.empty}</Empty>;
  return (
    <>
      <p aria-live="polite">{labels.search.total(result.total)}</p>
      <ol className="hits" aria-label={labels.search.results}>
        {result.hits.map((hit) => (
          <li key={hit.id} className="hit">
            {hit.coverUrl && <img src={hit.coverUrl} alt="" width={160} height={90} loading="lazy" />}
            <div>
              <h2>
                <Link to={`/courses/${encodeURIComponent(hit.id)}`}>
                  <HighlightedName html={hit.highlightedName} />
                </Link>
              </h2>
              <p className="meta">
                {hit.organisationName} · {hit.mtName} / {hit.stName} · {labels.search.grades[hit.grade]} ·{' '}
                {labels.search.modes[hit.teachingMode]} ·{' '}
                {hit.charge === 'FREE' ? labels.search.free : labels.search.price(hit.price)}
              </p>
              <p>{hit.description}</p>
            </div>
          </li>
        ))}
      </ol>
      <Pager page={result.page} total={result.total} size={PAGE_SIZE} hasNext={result.hasNext} onPage={onPage} />
    </>
  );
}
