import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findBoundaryViolations } from './workspace-boundaries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test("no workspace imports another workspace's internals", () => {
  assert.deepEqual(findBoundaryViolations(root), []);
});

test('the check catches each way across a boundary: an internal module, a pattern export, an undeclared dependency, a path, a test entry in a service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lh-boundaries-'));
  const write = (path, text) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  // Sources are put together from their specifiers: the check also reads this file, which must hold no import of its own.
  const importOf = (specifier, names) =>
    names ? `import { ${names} } from '${specifier}';\n` : `import '${specifier}';\n`;
  const resolveOf = (specifier) => `const p = require.resolve('${specifier}');\n`;
  try {
    write('package.json', JSON.stringify({ workspaces: ['lib', 'apps/*'] }));
    write(
      'lib/package.json',
      JSON.stringify({
        name: '@learnhub/lib',
        exports: { '.': './dist/index.js', './testing': './dist/testing/index.js' },
      }),
    );
    write(
      'apps/one/package.json',
      JSON.stringify({
        name: '@learnhub/one',
        exports: { './*': './dist/*.js' },
        dependencies: { '@learnhub/lib': '*' },
      }),
    );
    write('apps/two/package.json', JSON.stringify({ name: '@learnhub/two', exports: { './main': './dist/main.js' } }));
    write('lib/src/index.ts', 'export const x = 1;\n');
    write('apps/one/src/ok.ts', `${importOf('@learnhub/lib', 'x')}export { x };\n`);
    write('apps/one/src/ok.test.ts', importOf('@learnhub/lib/testing'));
    write('apps/one/src/internal.ts', importOf('@learnhub/lib/src/inner', 'y'));
    write('apps/one/src/service.ts', importOf('@learnhub/lib/testing'));
    write('apps/two/src/main.ts', importOf('@learnhub/lib', 'x') + resolveOf('../../one/src/ok'));
    const found = findBoundaryViolations(dir).join('\n');
    assert.match(found, /apps\/one\/package\.json exports the pattern "\.\/\*"/);
    assert.match(
      found,
      /apps\/one\/src\/internal\.ts:1 imports "@learnhub\/lib\/src\/inner", which @learnhub\/lib does not export/,
    );
    assert.match(found, /apps\/one\/src\/service\.ts:1 imports the test entry "@learnhub\/lib\/testing" outside tests/);
    assert.match(found, /apps\/two\/src\/main\.ts:1 imports @learnhub\/lib without declaring it/);
    assert.match(found, /apps\/two\/src\/main\.ts:2 reaches outside apps\/two by path/);
    assert.doesNotMatch(found, /ok\.(test\.)?ts/);
    assert.equal(findBoundaryViolations(dir).length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
