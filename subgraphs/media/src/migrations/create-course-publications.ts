import { SchemaMigration } from '@learnhub/platform/database';

/**
 * What published courses made public: each course's newest publication with its page object, and
 * the media it shows; plus indexes so the file route finds an object by any of its keys.
 */
export class CreateCoursePublications extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.createTable('course_publications', (t) => {
        t.string('course_id', 64).primary();
        t.bigInteger('version').notNullable();
        t.string('organisation_id', 64).notNullable();
        t.string('page_bucket', 63).notNullable();
        t.string('page_key', 512).notNullable();
        t.datetime('updated_at').notNullable();
        t.index(['page_bucket', 'page_key'], 'course_publications_page_idx');
      }),
    );
    this.schema((s) =>
      s.createTable('course_public_media', (t) => {
        t.string('course_id', 64).notNullable();
        t.string('file_md5', 32).notNullable();
        t.primary(['course_id', 'file_md5']);
        t.index(['file_md5'], 'course_public_media_md5_idx');
      }),
    );
    this.schema((s) =>
      s.alterTable('media_objects', (t) => {
        t.index(['bucket', 'object_key'], 'media_objects_object_key_idx');
        t.index(['bucket', 'playback_key'], 'media_objects_playback_key_idx');
        t.index(['bucket', 'poster_key'], 'media_objects_poster_key_idx');
      }),
    );
  }
}
