import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { MediaContext } from './media-context';
import { MediaItemType } from './media.type';
import {
  CheckFileInput,
  ChunkUploadUrlsInput,
  ChunkUploadUrlType,
  FileCheckType,
  MergeChunksInput,
  UploadChunkInput,
  UploadStatusType,
} from './upload.types';

/** Resumable chunked uploads: checkFile → uploadChunk or chunkUploadUrls (any order, in parallel) → mergeChunks. */
@Resolver()
export class UploadResolver {
  @Mutation(() => FileCheckType, {
    description: 'Is the whole file already stored? Completes at once if so, else opens or resumes its upload.',
  })
  checkFile(
    @Arg('input', () => CheckFileInput) input: CheckFileInput,
    @Ctx() ctx: MediaContext,
  ): Promise<FileCheckType> {
    return ctx.uploads.checkFile(ctx.viewer, { ...input, proofMd5: input.proof?.rangeMd5 }) as Promise<FileCheckType>;
  }

  @Query(() => UploadStatusType, { description: 'Which chunks of an upload are stored, to resume it.' })
  uploadStatus(@Arg('fileMd5') fileMd5: string, @Ctx() ctx: MediaContext): Promise<UploadStatusType> {
    return ctx.uploads.status(ctx.viewer, fileMd5) as Promise<UploadStatusType>;
  }

  @Mutation(() => Boolean, { description: 'Whether chunk `index` is stored.' })
  checkChunk(
    @Arg('fileMd5') fileMd5: string,
    @Arg('index', () => Int) index: number,
    @Ctx() ctx: MediaContext,
  ): Promise<boolean> {
    return ctx.uploads.checkChunk(ctx.viewer, fileMd5, index);
  }

  @Mutation(() => UploadStatusType, { description: 'Stores one chunk (GraphQL multipart request).' })
  async uploadChunk(
    @Arg('input', () => UploadChunkInput) input: UploadChunkInput,
    @Ctx() ctx: MediaContext,
  ): Promise<UploadStatusType> {
    const chunk = await input.chunk;
    return ctx.uploads.uploadChunk(
      ctx.viewer,
      { ...input, stream: chunk.createReadStream() },
      ctx.signal,
    ) as Promise<UploadStatusType>;
  }

  @Mutation(() => [ChunkUploadUrlType], {
    description:
      "URLs to send chunks' bytes to without GraphQL, straight to the object store where it can take them. Each URL takes exactly the chunk (size and MD5) it was asked for, until it expires.",
  })
  chunkUploadUrls(
    @Arg('input', () => ChunkUploadUrlsInput) input: ChunkUploadUrlsInput,
    @Ctx() ctx: MediaContext,
  ): Promise<ChunkUploadUrlType[]> {
    return ctx.uploads.chunkUploadUrls(ctx.viewer, input);
  }

  @Mutation(() => MediaItemType, {
    description: 'Joins the stored chunks into the file, verifies its MD5 and adds it to your library.',
  })
  mergeChunks(
    @Arg('input', () => MergeChunksInput) input: MergeChunksInput,
    @Ctx() ctx: MediaContext,
  ): Promise<MediaItemType> {
    return ctx.uploads.merge(ctx.viewer, input, ctx.signal);
  }

  @Mutation(() => Boolean, { description: 'Gives up an upload and frees its storage at once.' })
  abortUpload(@Arg('fileMd5') fileMd5: string, @Ctx() ctx: MediaContext): Promise<boolean> {
    return ctx.uploads.abort(ctx.viewer, fileMd5, ctx.signal);
  }
}
