// biome-ignore-all lint/style/useLiteralEnumMembers: the GraphQL upload states are the entity's, plus NOT_STARTED.
import { GraphQLBigInt, GraphQLDateTimeISO } from 'graphql-scalars';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UploadState } from '../entities/upload-session.entity';
import { MediaItemType } from './media.type';

enum UploadStateValue {
  NOT_STARTED = 'NOT_STARTED',
  UPLOADING = UploadState.UPLOADING,
  MERGING = UploadState.MERGING,
  COMPLETED = UploadState.COMPLETED,
  FAILED = UploadState.FAILED,
  ABORTED = UploadState.ABORTED,
  EXPIRED = UploadState.EXPIRED,
}
registerEnumType(UploadStateValue, {
  name: 'UploadState',
  description: 'Where a resumable upload stands; NOT_STARTED when there is none.',
});

@ObjectType('UploadStatus', {
  description: 'A resumable upload: what is stored, what is missing, and until when it is kept.',
})
export class UploadStatusType {
  @Field()
  fileMd5!: string;

  @Field(() => UploadStateValue)
  state!: UploadStateValue;

  @Field({ nullable: true })
  fileName?: string;

  @Field(() => GraphQLBigInt, { nullable: true })
  fileSize?: number;

  @Field(() => Int, { description: 'Bytes in every chunk but the last.' })
  chunkSize!: number;

  @Field(() => Int, { nullable: true })
  chunkTotal?: number;

  @Field(() => [Int], { description: 'Indexes (from 0) of the chunks stored.' })
  uploadedChunks!: number[];

  @Field(() => [Int])
  missingChunks!: number[];

  @Field(() => GraphQLDateTimeISO, {
    nullable: true,
    description: 'When an idle upload is abandoned and its chunks deleted.',
  })
  expiresAt?: Date;

  @Field({ nullable: true })
  failure?: string;

  @Field(() => MediaItemType, { nullable: true, description: 'The media item, once the upload is complete.' })
  media?: MediaItemType;
}

@ObjectType('PossessionChallenge', { description: 'Send the MD5 of these bytes of your file to prove you hold it.' })
export class PossessionChallengeType {
  @Field(() => GraphQLBigInt)
  offset!: number;

  @Field(() => Int)
  length!: number;
}

@ObjectType('FileCheck')
export class FileCheckType {
  @Field({ description: 'True when the file is now in your library (already there, or instantly added).' })
  exists!: boolean;

  @Field(() => MediaItemType, { nullable: true })
  media?: MediaItemType;

  @Field(() => UploadStatusType, {
    nullable: true,
    description: 'The upload to continue when the file is not stored yet.',
  })
  upload?: UploadStatusType;

  @Field(() => PossessionChallengeType, {
    nullable: true,
    description: 'Set when the file is stored for another organisation.',
  })
  proof?: PossessionChallengeType;
}

@InputType('PossessionProofInput')
export class PossessionProofInput {
  @Field({ description: 'MD5 (hex) of the challenged byte range of your file.' })
  rangeMd5!: string;
}

@InputType('CheckFileInput')
export class CheckFileInput {
  @Field()
  fileMd5!: string;

  @Field()
  fileName!: string;

  @Field(() => GraphQLBigInt)
  fileSize!: number;

  @Field(() => PossessionProofInput, { nullable: true })
  proof?: PossessionProofInput;
}

@InputType('UploadChunkInput')
export class UploadChunkInput {
  @Field()
  fileMd5!: string;

  @Field(() => Int, { description: 'From 0.' })
  index!: number;

  @Field({ description: 'MD5 (hex) of this chunk; a chunk that does not match is refused and not stored.' })
  chunkMd5!: string;

  @Field(() => GraphQLUpload)
  chunk!: Promise<FileUpload>;
}

@InputType('MergeChunksInput')
export class MergeChunksInput {
  @Field()
  fileMd5!: string;

  @Field()
  fileName!: string;

  @Field(() => Int)
  chunkTotal!: number;

  @Field({ nullable: true })
  tags?: string;

  @Field({ nullable: true })
  remark?: string;
}

@InputType('ChunkUrlInput')
export class ChunkUrlInput {
  @Field(() => Int, { description: 'From 0.' })
  index!: number;

  @Field({ description: 'MD5 (hex) of this chunk: the URL takes exactly these bytes.' })
  chunkMd5!: string;
}

@InputType('ChunkUploadUrlsInput')
export class ChunkUploadUrlsInput {
  @Field()
  fileMd5!: string;

  @Field(() => [ChunkUrlInput], { description: '1 to 100 chunks per call.' })
  chunks!: ChunkUrlInput[];
}

@ObjectType('HttpHeader')
export class HttpHeaderType {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

@ObjectType('ChunkUploadUrl', {
  description: "Where to send one chunk's bytes: `fetch(url, { method, headers, body: chunkBytes })`.",
})
export class ChunkUploadUrlType {
  @Field(() => Int)
  index!: number;

  @Field()
  url!: string;

  @Field()
  method!: string;

  @Field(() => [HttpHeaderType], { description: 'Send each exactly so: they are part of what the URL allows.' })
  headers!: HttpHeaderType[];

  @Field(() => GraphQLDateTimeISO, { description: 'After this the URL is refused: ask for a fresh one.' })
  expiresAt!: Date;
}
