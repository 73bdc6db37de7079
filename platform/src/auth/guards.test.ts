import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../errors.js';
import { canReadOrganisation, requireOrganisation, requireRole, requireSignedIn } from './guards.js';
import { anonymous, type Viewer } from './viewer.js';

const member: Viewer = { userId: 'alice', roles: ['member'], organisationId: '1' };
const auditor: Viewer = { userId: 'audrey', roles: ['auditor'] };
const admin: Viewer = { userId: 'root', roles: ['admin'] };
const unauthenticated = { code: ErrorCode.UNAUTHENTICATED };

test('requireSignedIn refuses anonymous viewers only', () => {
  assert.throws(() => requireSignedIn(anonymous), unauthenticated);
  requireSignedIn(member);
});

test('requireRole asks anonymous viewers to sign in', () => {
  assert.throws(() => requireRole(anonymous, 'admin'), unauthenticated);
});

test('requireRole lets a viewer with any of the roles past and names them otherwise', () => {
  requireRole(admin, 'auditor', 'admin');
  assert.throws(() => requireRole(member, 'admin'), {
    code: ErrorCode.FORBIDDEN,
    message: 'This needs the admin role.',
  });
  assert.throws(() => requireRole(member, 'auditor', 'admin'), {
    code: ErrorCode.FORBIDDEN,
    message: 'This needs one of the roles auditor, admin.',
  });
});

test('requireOrganisation answers the viewer’s organisation', () => {
  assert.equal(requireOrganisation(member), '1');
  assert.throws(() => requireOrganisation(auditor), { code: ErrorCode.FORBIDDEN });
  assert.throws(() => requireOrganisation(anonymous), unauthenticated);
});

test('canReadOrganisation allows the same organisation, auditors and admins', () => {
  assert.equal(canReadOrganisation(member, '1'), true);
  assert.equal(canReadOrganisation(member, '2'), false);
  assert.equal(canReadOrganisation(auditor, '2'), true);
  assert.equal(canReadOrganisation(admin, '2'), true);
  assert.equal(canReadOrganisation(anonymous, '1'), false);
});
