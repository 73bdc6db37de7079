import { badInput } from '@learnhub/platform/errors';
import type { WriteOutcome } from '@learnhub/contracts/course-index';
import { parseCourseDocument } from '../documents/course-document';
import type { SearchIndex } from '../index/search-index';

/**
 * What publishers (the publish outbox) call: put a published course's document, or remove an
 * offline course. Both are idempotent and versioned, so a retried or late call is harmless.
 */
export class CourseIndexingService {
  constructor(private readonly index: SearchIndex) {}

  async upsert(id: string, body: unknown): Promise<WriteOutcome> {
    const document = parseCourseDocument(body);
    if (document.id !== id)
      throw badInput(`The document's id ${document.id} is not the course ${id} it was sent for.`, {
        fields: [{ field: 'document.id', message: `must be ${id}` }],
      });
    return this.index.upsert(document);
  }

  async remove(id: string, version: unknown): Promise<WriteOutcome> {
    const number =
      typeof version === 'number'
        ? version
        : typeof version === 'string' && /^\d{1,15}$/.test(version)
          ? Number(version)
          : NaN;
    if (!(Number.isSafeInteger(number) && number >= 1))
      throw badInput('Say which version of the course goes offline: ?version=<a whole number of 1 or more>.', {
        fields: [{ field: 'version', message: 'must be a whole number of 1 or more' }],
      });
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
      throw badInput('A course id is 1 to 64 letters, digits, - or _.', {
        fields: [{ field: 'id', message: 'is not a course id' }],
      });
    return this.index.remove(id, number);
  }
}
