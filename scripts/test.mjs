// `npm test`: every workspace's tests through turbo, then one closing line over all of them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dirs = workspaces.flatMap((pattern) =>
  pattern.endsWith('/*')
    ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => join(pattern.slice(0, -2), name))
    : [pattern],
);
const results = (dir) => join(root, dir, '.test-results.tap');
for (const dir of ['.', ...dirs]) rmSync(results(dir), { force: true });

// The repository's own checks (who may import whom) first: they take a second and fail fast.
const reporters = [
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${results('.')}`,
];
const checks = spawnSync(process.execPath, ['--test', ...reporters, 'scripts/workspace-boundaries.test.mjs'], {
  cwd: root,
  stdio: 'inherit',
});
const run = spawnSync('npx', ['turbo', 'run', 'test', '--concurrency=2', '--continue', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

const totals = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
// Failures are named again at the very end: a CI log is often read from its tail.
const failures = [];
for (const dir of ['.', ...dirs]) {
  if (!existsSync(results(dir))) continue;
  const tap = readFileSync(results(dir), 'utf8');
  for (const key of Object.keys(totals)) {
    const match = [...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].pop();
    if (match) totals[key] += Number(match[1]);
  }
  const lines = tap.split('\n');
  lines.forEach((line, at) => {
    const failure = /^(\s*)not ok \d+ - (.*)$/.exec(line);
    if (!failure) return;
    const error = lines.slice(at + 1, at + 40).find((next) => /^\s+error: /.test(next));
    failures.push(`${dir} ${failure[1]}✖ ${failure[2]}${error ? `\n${failure[1]}    ${error.trim()}` : ''}`);
  });
}
const failed = totals.fail + totals.cancelled;
if (failures.length > 0) console.log(`\nFailed:\n${failures.join('\n')}`);
console.log(`\n${totals.pass} passed, ${failed} failed, ${totals.skipped + totals.todo} skipped`);
process.exit(checks.status === 0 && run.status === 0 && failed === 0 ? 0 : 1);
