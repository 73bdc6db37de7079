import { SchemaMigration } from '@learnhub/platform/database';

/**
 * A chunk row is STORED once its bytes are known good (they came through media, or the store
 * listed its part with the declared MD5 and size), or DECLARED when a client was given a URL to
 * send them straight to the store: then only the store can say whether they arrived. Every row
 * before this migration came through media.
 */
export class AddChunkStates extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((s) =>
      s.alterTable('upload_chunks', (t) => {
        t.string('state', 16).notNullable().defaultTo('STORED');
      }),
    );
  }
}
