import { ErrorCode, isAppError } from '@learnhub/platform/errors';
import { pageRequest, PageInput, toPage } from '@learnhub/platform/graphql';
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AuditSnapshotView } from '../services/course-audit.service';
import type { ContentContext } from './content-context';
import { snapshotType } from './course-snapshot.resolver';
import { CourseType } from './course.type';
import {
  AuditCourseInput,
  CourseAuditRecordType,
  CourseAuditSnapshotPage,
  CourseAuditSnapshotType,
} from './publishing.types';

const snapshotOf = (view: AuditSnapshotView): CourseAuditSnapshotType => ({
  ...view,
  content: snapshotType(view.content),
  stored: view.content,
});

@Resolver(() => CourseAuditSnapshotType)
export class CourseAuditResolver {
  @Mutation(() => CourseAuditSnapshotType, {
    description:
      'Freezes the course into its pre-publish snapshot for an auditor. Refused while a submission waits, and while pieces are missing (each is named).',
  })
  async submitCourseForAudit(
    @Arg('courseId', () => ID) courseId: string,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseAuditSnapshotType> {
    return snapshotOf(await ctx.audits.submit(ctx.viewer, ctx.requestId, courseId));
  }

  @Query(() => CourseAuditSnapshotPage, {
    description: 'Auditors and admins: submitted snapshots waiting for a decision, the longest waiting first.',
  })
  async auditQueue(
    @Arg('page', () => PageInput, { nullable: true }) page: PageInput | undefined,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseAuditSnapshotPage> {
    const request = pageRequest(page, ctx.maxPageSize);
    const { items, total } = await ctx.audits.queue(ctx.viewer, request);
    return toPage(items.map(snapshotOf), total, request);
  }

  @Mutation(() => CourseAuditRecordType, {
    description:
      'Auditors and admins: approves or rejects the submitted snapshot, with an opinion (required to reject).',
  })
  auditCourse(
    @Arg('input', () => AuditCourseInput) input: AuditCourseInput,
    @Ctx() ctx: ContentContext,
  ): Promise<CourseAuditRecordType> {
    return ctx.audits.audit(ctx.viewer, input);
  }

  @FieldResolver(() => String, { description: 'The snapshot rendered as the course page, with playable media.' })
  html(@Root() snapshot: CourseAuditSnapshotType, @Ctx() ctx: ContentContext): Promise<string> {
    return ctx.previews.render(snapshot.stored, ctx.requestId);
  }

  @FieldResolver(() => CourseType, {
    nullable: true,
    description: 'The course as it stands now (draft edits included).',
  })
  async course(@Root() snapshot: CourseAuditSnapshotType, @Ctx() ctx: ContentContext): Promise<CourseType | null> {
    try {
      return await ctx.courses.get(ctx.viewer, snapshot.courseId);
    } catch (error) {
      if (isAppError(error) && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }
}

@Resolver(() => CourseType)
export class CourseAuditFields {
  @FieldResolver(() => [CourseAuditRecordType], { description: 'Every audit decision on this course, newest first.' })
  async auditHistory(@Root() course: CourseType, @Ctx() ctx: ContentContext): Promise<CourseAuditRecordType[]> {
    // The course was authorised when it was loaded; a page of courses costs one query here.
    return (await ctx.loaders.get('course-audits', (ids) => ctx.audits.history(ids)).load(course.id)) ?? [];
  }

  @FieldResolver(() => CourseAuditSnapshotType, {
    nullable: true,
    description: 'The latest submission (pre-publish snapshot), if any.',
  })
  async auditSnapshot(@Root() course: CourseType, @Ctx() ctx: ContentContext): Promise<CourseAuditSnapshotType | null> {
    const view = await ctx.loaders.get('course-audit-snapshots', (ids) => ctx.audits.snapshots(ids)).load(course.id);
    return view ? snapshotOf(view) : null;
  }
}
