export const Roles = ['member', 'auditor', 'admin'] as const;
export type Role = (typeof Roles)[number];

export const isRole = (value: unknown): value is Role => (Roles as readonly unknown[]).includes(value);

/** Who is asking: built from a verified token, or anonymous. */
export interface Viewer {
  userId?: string;
  roles: Role[];
  /** The organisation (company id) a member belongs to. */
  organisationId?: string;
  /** Courses the holder bought (the token's `courses` claim): they see those courses' paid sections. */
  entitledCourseIds?: readonly string[];
}

export const anonymous: Viewer = Object.freeze({ roles: [] }) as Viewer;
