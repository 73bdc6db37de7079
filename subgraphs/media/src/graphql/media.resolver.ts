import { pageRequest, PageInput, toPage } from '@learnhub/platform/graphql';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { mediaAuditStatusCodes } from '../entities/media-file.entity';
import { mediaTypeCodes } from '../entities/media-object.entity';
import { isPlayable, TranscodeState, transcodingAsServed, type Transcoding } from '../rules/playability';
import type { MediaContext } from './media-context';
import { MediaFilter, MediaItemType, MediaPage, UploadFileInput } from './media.type';

@Resolver(() => MediaItemType)
export class MediaResolver {
  @Query(() => MediaPage, { description: "The viewer's organisation's media library, newest first." })
  async mediaFiles(
    @Arg('filter', () => MediaFilter, { nullable: true }) filter: MediaFilter | undefined,
    @Arg('page', () => PageInput, { nullable: true }) page: PageInput | undefined,
    @Ctx() ctx: MediaContext,
  ): Promise<MediaPage> {
    const request = pageRequest(page, ctx.maxPageSize);
    const { items, total } = await ctx.media.list(ctx.viewer, filter ?? {}, request);
    return toPage(items, total, request);
  }

  @Query(() => MediaItemType, {
    nullable: true,
    description: 'A media item by id (its MD5); null when missing or not yours.',
  })
  async media(@Arg('id', () => ID) id: string, @Ctx() ctx: MediaContext): Promise<MediaItemType | null> {
    return (await ctx.media.get(ctx.viewer, id)) ?? null;
  }

  @Mutation(() => MediaItemType, { description: 'Uploads an image or document (GraphQL multipart request).' })
  async uploadFile(
    @Arg('file', () => GraphQLUpload) file: Promise<FileUpload>,
    @Arg('input', () => UploadFileInput, { nullable: true }) input: UploadFileInput | undefined,
    @Ctx() ctx: MediaContext,
  ): Promise<MediaItemType> {
    const upload = await file;
    return ctx.media.upload(ctx.viewer, { fileName: upload.filename, stream: upload.createReadStream() }, input ?? {});
  }

  @Mutation(() => Boolean, {
    description:
      "Removes the item from your organisation's library; the stored file goes when no organisation holds it any more.",
  })
  deleteMedia(@Arg('id', () => ID) id: string, @Ctx() ctx: MediaContext): Promise<boolean> {
    return ctx.media.delete(ctx.viewer, id, ctx.log);
  }

  @FieldResolver(() => TranscodeState)
  async transcodeState(@Root() media: MediaItemType, @Ctx() ctx: MediaContext): Promise<TranscodeState> {
    return (await transcodingOf(media, ctx)).state;
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'How far the running transcoding attempt has got, in percent; null when none runs.',
  })
  async transcodeProgress(@Root() media: MediaItemType, @Ctx() ctx: MediaContext): Promise<number | null> {
    return (await transcodingOf(media, ctx)).progress ?? null;
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether a browser can play it now: false while a video waits for or fails transcoding.',
  })
  async playable(@Root() media: MediaItemType, @Ctx() ctx: MediaContext): Promise<boolean> {
    return isPlayable(media.type, (await transcodingOf(media, ctx)).state);
  }

  @FieldResolver(() => String, { description: "The original system's type code, e.g. 001002 for video." })
  typeCode(@Root() media: MediaItemType): string {
    return mediaTypeCodes[media.type];
  }

  @FieldResolver(() => String, { description: "The original system's audit code, e.g. 002003 for approved." })
  auditStatusCode(@Root() media: MediaItemType): string {
    return mediaAuditStatusCodes[media.auditStatus];
  }
}

/** Every Media of one request asks for its transcoding in one batch. */
const transcodeLoader = (ctx: MediaContext) => ctx.loaders.get('media-transcodes', (ids) => ctx.media.transcodes(ids));

/** A media's transcoding as its answer shows it, agreeing with the URL read with the media. */
async function transcodingOf(media: MediaItemType, ctx: MediaContext): Promise<Transcoding> {
  return transcodingAsServed(
    media.transcoded,
    (await transcodeLoader(ctx).load(media.id)) ?? { state: TranscodeState.NONE },
  );
}

/**
 * Media references for `_entities` and task listings, one query per request. A key is the id, or
 * `<id> <organisationId>` for one organisation's entry (ids are hex, so the space is unambiguous).
 */
export const mediaByIdLoader = (ctx: MediaContext) =>
  ctx.loaders.get('media-references', async (keys) => {
    const references = keys.map((key) => {
      const space = key.indexOf(' ');
      return space < 0 ? { id: key } : { id: key.slice(0, space), organisationId: key.slice(space + 1) };
    });
    const views = await ctx.media.references(references);
    return new Map(keys.flatMap((key, index) => (views[index] ? [[key, views[index]] as const] : [])));
  });

/** `_entities` for Media: by `id`, or by `id organisationId` for that organisation's own entry (null when it has none). */
export const mediaReferenceResolver = {
  Media: {
    async __resolveReference(reference: { id: string; organisationId?: string | null }, ctx: MediaContext) {
      const key =
        typeof reference.organisationId === 'string' ? `${reference.id} ${reference.organisationId}` : reference.id;
      return (await mediaByIdLoader(ctx).load(key)) ?? null;
    },
  },
};
