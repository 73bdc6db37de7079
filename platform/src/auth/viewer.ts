export const Roles = ['member', 'auditor', 'admin'] as const;
export type Role = (typeof Roles)[number];

/** Who is asking: built from a verified token, or anonymous. */
export interface Viewer {
  userId?: string;
  roles: Role[];
  /** The organisation (company id) a member belongs to. */
  organisationId?: string;
}

export const anonymous: Viewer = Object.freeze({ roles: [] }) as Viewer;
