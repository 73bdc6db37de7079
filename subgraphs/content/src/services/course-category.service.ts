import type { Viewer } from '@learnhub/platform/auth';
import { requireRole } from '@learnhub/platform/auth';
import { badInput, notFound } from '@learnhub/platform/errors';
import type { Caller, MediaDirectory } from '@learnhub/media/client';
import type { CourseCategory } from '../entities/course-category.entity';
import type { CourseCategoryRepository } from '../repositories/course-category.repository';

const ROOT_ID = '1';

/** A category as clients see it: majors with their visible minors, in order. */
export interface CategoryNode {
  id: string;
  name: string;
  label?: string;
  order: number;
  leaf: boolean;
  iconMediaId?: string;
  /** The organisation whose library holds the icon. */
  iconOrganisationId?: string;
  children: CategoryNode[];
}

const toNode = (c: CourseCategory, children: CategoryNode[] = []): CategoryNode => ({
  id: c.id,
  name: c.name,
  label: c.label,
  order: c.orderBy,
  leaf: c.isLeaf,
  iconMediaId: c.iconMediaId,
  iconOrganisationId: c.iconOrganisationId,
  children,
});

export class CourseCategoryService {
  constructor(
    private readonly categories: CourseCategoryRepository,
    private readonly media: MediaDirectory,
  ) {}

  /** The visible tree under the hidden root, each level in display order. */
  async tree(): Promise<CategoryNode[]> {
    const all = (await this.categories.all()).filter((c) => c.isShow);
    const childrenOf = new Map<string, CourseCategory[]>();
    for (const c of all) {
      if (!c.parentId) continue;
      childrenOf.set(c.parentId, [...(childrenOf.get(c.parentId) ?? []), c]);
    }
    const build = (c: CourseCategory): CategoryNode => toNode(c, (childrenOf.get(c.id) ?? []).map(build));
    return (childrenOf.get(ROOT_ID) ?? []).map(build);
  }

  /** Admins set (or clear, with no media id) the image shown beside a category. */
  async setIcon(viewer: Viewer, caller: Caller, id: string, mediaId: string | undefined): Promise<CategoryNode> {
    requireRole(viewer, 'admin');
    const category = await this.categories.byId(id);
    if (!category || category.id === ROOT_ID) throw notFound('Course category', id);
    let icon: { mediaId: string; organisationId: string } | undefined;
    if (mediaId) {
      const media = await this.media.find(mediaId, caller);
      if (!media)
        throw badInput(`Media ${mediaId} does not exist.`, {
          fields: [{ field: 'mediaId', message: 'unknown media' }],
        });
      if (media.type !== 'IMAGE') {
        throw badInput(`Media ${mediaId} is a ${media.type.toLowerCase()}; a category icon must be an image.`, {
          fields: [{ field: 'mediaId', message: 'must be an image' }],
        });
      }
      icon = { mediaId: media.id, organisationId: media.organisationId };
    }
    // Categories belong to the platform, but the image is one organisation's library entry: remember whose.
    await this.categories.setIcon(category, icon);
    return toNode(category);
  }
}
