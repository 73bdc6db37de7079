import { GraphQLBigInt, GraphQLDateTimeISO } from 'graphql-scalars';
import { pageOf } from '@learnhub/platform/graphql';
import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MediaAuditStatus } from '../entities/media-file.entity';
import { MediaType } from '../entities/media-object.entity';
import type { MediaView } from '../services/media-view';
import { TranscodeState } from '../rules/playability';

registerEnumType(MediaType, {
  name: 'MediaType',
  description: 'Image (001001), video (001002), document or other (001003).',
});
registerEnumType(MediaAuditStatus, { name: 'MediaAuditStatus' });
registerEnumType(TranscodeState, {
  name: 'TranscodeState',
  description:
    'NONE: no transcoding needed (or not a video); else the state of the task converting it to H.264/AAC MP4.',
});

@ObjectType('Media', { description: "A file in an organisation's media library; its id is the MD5 of its bytes." })
// Keyed by the organisation too, and only so: a reference by id alone would let the query planner pick any organisation's entry.
@Directive('@key(fields: "id organisationId")')
export class MediaItemType implements Omit<MediaView, 'size'> {
  @Field(() => ID)
  id!: string;

  @Field()
  fileMd5!: string;

  @Field()
  fileName!: string;

  @Field(() => MediaType)
  type!: MediaType;

  @Field({
    description:
      "The type of the file at `url`: video/mp4 once a transcoded copy is served, else the uploaded file's, sniffed from its bytes (not its name).",
  })
  mimeType!: string;

  @Field(() => GraphQLBigInt, { description: 'Bytes of the uploaded file (a transcoded copy at `url` may differ).' })
  size!: number;

  @Field({
    description: 'A URL a browser can open: the transcoded MP4 once a video was transcoded, else the uploaded file.',
  })
  url!: string;

  /** Whether `url` is the transcoded copy (not a GraphQL field: it reconciles transcodeState with the URL). */
  transcoded!: boolean;

  @Field({ nullable: true, description: 'A still frame of a transcoded video (JPEG).' })
  posterUrl?: string;

  @Field(() => Float, { nullable: true, description: 'Length of a video in seconds.' })
  durationSeconds?: number;

  @Field(() => Int, { nullable: true, description: 'Picture width of a video in pixels.' })
  width?: number;

  @Field(() => Int, { nullable: true, description: 'Picture height of a video in pixels.' })
  height?: number;

  @Field(() => ID)
  organisationId!: string;

  @Field({ nullable: true })
  tags?: string;

  @Field({ nullable: true })
  remark?: string;

  @Field(() => MediaAuditStatus)
  auditStatus!: MediaAuditStatus;

  @Field(() => ID)
  createdBy!: string;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;
}

@ObjectType('MediaPage')
export class MediaPage extends pageOf(MediaItemType) {}

@InputType('MediaFilter')
export class MediaFilter {
  @Field({ nullable: true, description: 'Part of the file name.' })
  name?: string;

  @Field(() => MediaType, { nullable: true })
  type?: MediaType;

  @Field(() => MediaAuditStatus, { nullable: true })
  auditStatus?: MediaAuditStatus;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Created at or after this time.' })
  createdFrom?: Date;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Created before this time.' })
  createdTo?: Date;
}

@InputType('UploadFileInput')
export class UploadFileInput {
  @Field({ nullable: true })
  tags?: string;

  @Field({ nullable: true })
  remark?: string;
}
