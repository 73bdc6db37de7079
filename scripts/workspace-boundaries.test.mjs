import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findBoundaryViolations } from './workspace-boundaries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('no workspace imports another workspace\'s internals', () => {
  assert.deepEqual(findBoundaryViolations(root), []);
});

test('the check catches each way across a boundary: an internal module, a pattern export, an undeclared dependency, a path, a test entry in a service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lh-boundaries-'));
  const write = (path, text) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  try {
    write('package.json', JSON.stringify({ workspaces: ['lib', 'apps/*'] }));
    write('lib/package.json', JSON.stringify({ name: '@learnhub/lib', exports: { '.': './dist/index.js', './testing': './dist/testing/index.js' } }));
    write('apps/one/package.json', JSON.stringify({ name: '@learnhub/one', exports: { './*': './dist/*.js' }, dependencies: { '@learnhub/lib': '*' } }));
    write('apps/two/package.json', JSON.stringify({ name: '@learnhub/two', exports: { './main': './dist/main.js' } }));
    write('lib/src/index.ts', "export const x = 1;\n");
    write('apps/one/src/ok.ts', "import { x } from '@learnhub/lib';\nexport { x };\n");
    write('apps/one/src/ok.test.ts', "import '@learnhub/lib/testing';\n");
    write('apps/one/src/internal.ts', "import { y } from '@learnhub/lib/src/inner';\n");
    write('apps/one/src/service.ts', "import '@learnhub/lib/testing';\n");
    write('apps/two/src/main.ts', "import { x } from '@learnhub/lib';\nconst p = require.resolve('../../one/src/ok');\n");
    const found = findBoundaryViolations(dir).join('\n');
    assert.match(found, /apps\/one\/package\.json exports the pattern "\.\/\*"/);
    assert.match(found, /apps\/one\/src\/internal\.ts:1 imports "@learnhub\/lib\/src\/inner", which @learnhub\/lib does not export/);
    assert.match(found, /apps\/one\/src\/service\.ts:1 imports the test entry "@learnhub\/lib\/testing" outside tests/);
    assert.match(found, /apps\/two\/src\/main\.ts:1 imports @learnhub\/lib without declaring it/);
    assert.match(found, /apps\/two\/src\/main\.ts:2 reaches outside apps\/two by path/);
    assert.doesNotMatch(found, /ok\.(test\.)?ts/);
    assert.equal(findBoundaryViolations(dir).length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
