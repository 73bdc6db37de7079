import { forbidden, unauthenticated } from '../errors.js';
import type { Role, Viewer } from './viewer.js';

export type SignedInViewer = Viewer & { userId: string };

/** Lets only signed-in viewers past (UNAUTHENTICATED otherwise). */
export function requireSignedIn(viewer: Viewer): asserts viewer is SignedInViewer {
  if (viewer.userId === undefined) throw unauthenticated();
}

/** Lets only signed-in viewers holding one of `roles` past (FORBIDDEN naming them otherwise). */
export function requireRole(viewer: Viewer, ...roles: [Role, ...Role[]]): void {
  requireSignedIn(viewer);
  if (roles.some((role) => viewer.roles.includes(role))) return;
  const needed = roles.length === 1 ? `the ${roles[0]} role` : `one of the roles ${roles.join(', ')}`;
  throw forbidden(`This needs ${needed}.`);
}

/** The signed-in viewer's organisation id (FORBIDDEN when they belong to none). */
export function requireOrganisation(viewer: Viewer): string {
  requireSignedIn(viewer);
  if (viewer.organisationId === undefined) throw forbidden('This needs an organisation, and your token names none.');
  return viewer.organisationId;
}

/** Whether the viewer may read an organisation's data: its own members, auditors and admins may. */
export function canReadOrganisation(viewer: Viewer, organisationId: string): boolean {
  const staff = viewer.roles.some((role) => role === 'auditor' || role === 'admin');
  return staff || viewer.organisationId === organisationId;
}
