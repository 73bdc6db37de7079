import { parseArgs } from 'node:util';
import { config, ConfigError, type Config } from '../config.js';
import { signToken, type TokenSubject } from './token.js';
import { isRole, Roles } from './viewer.js';

const usage = `Usage: npm run --silent token -- --user <id> [--role <role>]... [--org <id>] [--courses <id,...>]... [--expires <lifetime>]

Prints a signed token (HS256, with AUTH_JWT_SECRET) on stdout.
  --user     user id, the token's subject (required)
  --role     ${Roles.join(', ')}; repeat the flag or separate roles with commas
  --org      organisation id (required for members)
  --courses  ids of courses the holder bought (the "courses" claim); repeat or separate with commas
  --expires  lifetime such as 30m, 8h or 7d (default 8h)
`;

class UsageError extends Error {}

function parse(args: string[]): TokenSubject {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        user: { type: 'string' },
        role: { type: 'string', multiple: true, default: [] },
        org: { type: 'string' },
        courses: { type: 'string', multiple: true },
        expires: { type: 'string', default: '8h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { user, org, expires } = values;
  if (!user) throw new UsageError('--user is required.');
  const roles = values.role
    .flatMap((list) => list.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = roles.filter((name) => !isRole(name));
  if (unknown.length > 0) throw new UsageError(`Unknown role ${unknown.join(', ')}.`);
  if (roles.includes('member') && !org) throw new UsageError('--org is required for a member.');
  const courses = values.courses
    ?.flatMap((list) => list.split(','))
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (courses?.length === 0) throw new UsageError('--courses needs at least one course id.');
  if (!/^\d+[smhd]$/.test(expires)) throw new UsageError(`--expires "${expires}" is not a lifetime such as 30m or 8h.`);
  return {
    userId: user,
    roles: [...new Set(roles.filter(isRole))],
    organisationId: org || undefined,
    ...(courses && { entitledCourseIds: [...new Set(courses)] }),
    expiresIn: expires,
  };
}

async function main(args: string[]): Promise<number> {
  let subject: TokenSubject;
  try {
    subject = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`token: ${error.message}\n\n${usage}`);
    return 2;
  }

  let auth: Config['auth'];
  try {
    ({ auth } = config());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`token: ${error.message}\n`);
    return 1;
  }
  // A valid configuration without a secret has a key set URL, and services then verify against that.
  if (auth.jwksUrl || !auth.jwtSecret) {
    process.stderr.write(
      'token: AUTH_JWKS_URL is set, so services accept only tokens signed by that identity provider; ' +
        'get one from it, or unset AUTH_JWKS_URL and set AUTH_JWT_SECRET to sign tokens here.\n',
    );
    return 1;
  }

  process.stdout.write(`${await signToken(subject, auth.jwtSecret, auth)}\n`);
  return 0;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
