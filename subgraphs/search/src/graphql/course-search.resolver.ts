import { PageInput } from '@learnhub/platform/graphql';
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { CourseSearchHit } from '../index/search-index';
import { CourseSearchInput } from './course-search.input';
import { CourseSearchResultType, type CourseSearchHitType } from './course-search.type';
import type { SearchContext } from './search-context';

const hitType = ({ document, score, highlightedName }: CourseSearchHit): CourseSearchHitType => ({
  ...document,
  course: { id: document.id },
  score,
  highlightedName,
});

@Resolver()
export class CourseSearchResolver {
  @Query(() => CourseSearchResultType, {
    description: 'Anyone: published courses by keyword, filters and sort, with facets.',
  })
  async searchCourses(
    @Arg('input', () => CourseSearchInput, { nullable: true }) input: CourseSearchInput | undefined,
    @Arg('page', () => PageInput, { nullable: true }) page: PageInput | undefined,
    @Ctx() ctx: SearchContext,
  ): Promise<CourseSearchResultType> {
    const found = await ctx.courses.search(input ?? {}, page ?? undefined);
    return { ...found, hits: found.hits.map(hitType) };
  }
}
