// `npm run soak -- [--rounds N] [--copies K] [name ...]`: runs the built end-to-end files N times,
// K copies at once (the second copy is the load), and prints each file's failures, to find flakes
// that one quiet run hides. Names filter the files (`transcoding`, `chunked-upload`, ...).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '20' }, copies: { type: 'string', default: '2' } },
});
const rounds = Number(values.rounds);
const copies = Number(values.copies);
const e2eDir = 'gateway/dist/e2e';
const files = readdirSync(e2eDir)
  .filter((name) => name.endsWith('.e2e.test.js'))
  .filter((name) => positionals.length === 0 || positionals.some((wanted) => name.includes(wanted)))
  .map((name) => join(e2eDir, name));
if (files.length === 0 || !(rounds > 0) || !(copies > 0)) {
  console.error(
    'npm run soak: nothing to run (build first with `npm run build`; check the names, --rounds and --copies).',
  );
  process.exit(2);
}
const logDir = join('.soak', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(logDir, { recursive: true });

/** Runs every file once in one `node --test` process; resolves with the names of the tests that failed. */
function runCopy(round, copy) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-timeout=900000', '--test-reporter=tap', ...files],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      writeFileSync(join(logDir, `round-${round}-copy-${copy}.tap`), output);
      const failed = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((match) => match[1]);
      resolve({ code, failed });
    });
  });
}

const failures = new Map();
const started = Date.now();
for (let round = 1; round <= rounds; round++) {
  const results = await Promise.all(Array.from({ length: copies }, (_, copy) => runCopy(round, copy + 1)));
  for (const { code, failed } of results) {
    for (const name of failed) failures.set(name, (failures.get(name) ?? 0) + 1);
    if (code !== 0 && failed.length === 0)
      failures.set(
        '(a run exited without a failing test)',
        (failures.get('(a run exited without a failing test)') ?? 0) + 1,
      );
  }
  const bad = results.filter((r) => r.code !== 0).length;
  console.log(
    `round ${round}/${rounds}: ${copies - bad} of ${copies} copies passed (${Math.round((Date.now() - started) / 1000)} s so far)`,
  );
}
console.log(`\n${rounds * copies} runs of ${files.length} file(s); logs in ${logDir}`);
if (failures.size === 0) console.log('no failures');
for (const [name, count] of failures) console.log(`  ${count}× not ok - ${name}`);
process.exit(failures.size === 0 ? 0 : 1);
