import 'reflect-metadata';
import { Field, InputType, Int, ObjectType, type ClassType } from 'type-graphql';
import { badInput } from '../errors';

/** Which page of a list: 1-based page number and page size. */
@InputType({ description: 'Which page of a list: 1-based page number and page size.' })
export class PageInput {
  @Field(() => Int, { defaultValue: 1 })
  page: number = 1;

  @Field(() => Int, { defaultValue: 20 })
  size: number = 20;
}

export interface PageRequest {
  offset: number;
  limit: number;
  page: number;
  size: number;
}

/** Validates a page request at the edge and turns it into offset/limit. */
export function pageRequest(input: PageInput | undefined, maxSize: number): PageRequest {
  const page = input?.page ?? 1;
  const size = input?.size ?? 20;
  const fields = [];
  if (!Number.isInteger(page) || page < 1) fields.push({ field: 'page.page', message: 'must be 1 or more' });
  if (!Number.isInteger(size) || size < 1 || size > maxSize) {
    fields.push({ field: 'page.size', message: `must be from 1 to ${maxSize}` });
  }
  if (fields.length)
    throw badInput(`Invalid page: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}.`, { fields });
  return { offset: (page - 1) * size, limit: size, page, size };
}

/** Where a page stands in its list: the total, which page this is, and whether more follow. */
// Never named by a field, so it never appears in a schema itself; its subclasses carry its fields.
@ObjectType()
export abstract class PageInfo {
  @Field(() => Int)
  total!: number;

  @Field(() => Int)
  page!: number;

  @Field(() => Int)
  size!: number;

  @Field()
  hasNext!: boolean;
}

/**
 * The GraphQL type of a page of `item`s: the items and where the page stands. Subclass it with a
 * named `@ObjectType`, e.g. `class CoursePage extends pageOf(CourseType) {}`.
 */
export function pageOf<T extends object>(item: ClassType<T>) {
  // Only the named subclass is reachable from resolvers, so only it appears in the schema.
  @ObjectType()
  abstract class Page extends PageInfo {
    @Field(() => [item])
    items!: T[];
  }
  return Page;
}

/** A page's fields from the items found, the total, and the request that asked for them. */
export function toPage<T>(
  items: T[],
  total: number,
  request: PageRequest,
): { items: T[]; total: number; page: number; size: number; hasNext: boolean } {
  return { items, total, page: request.page, size: request.size, hasNext: request.offset + items.length < total };
}
