// Who may import whom: a workspace reaches another only through an entry that workspace lists
// in its package.json `exports` (no `*` patterns) and only when it declares that workspace as a
// dependency. Run directly to list violations; `npm test` runs its test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = /\.(ts|mts|cts|mjs|cjs|js)$/;
const SKIP = new Set(['node_modules', 'dist', '.turbo']);
// Quoted module names: imports, re-exports, dynamic imports, require and require.resolve alike.
const SPECIFIER = /(?:from\s+|import\s*\(\s*|require(?:\.resolve)?\s*\(\s*|import\s+)(['"])([^'"\n]+)\1/g;

function sourceFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Tests, their helpers and benches may use other workspaces' `testing` entries; the services themselves never. */
const isTestCode = (file) =>
  /\.(test|e2e\.test|bench)\.[cm]?[jt]s$/.test(file) || /[\\/](testing|bench|e2e)[\\/]/.test(file);

/** The workspaces of the repository at `root`: name, folder, public entries and declared dependencies. */
export function readWorkspaces(root) {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)))
          .map((name) => join(pattern.slice(0, -2), name))
          .filter((dir) => {
            try {
              return statSync(join(root, dir, 'package.json')).isFile();
            } catch {
              return false;
            }
          })
      : [pattern],
  );
  return dirs.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const exports = typeof pkg.exports === 'object' && pkg.exports !== null ? Object.keys(pkg.exports) : [];
    return {
      name: pkg.name,
      dir,
      exports,
      dependencies: new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })),
    };
  });
}

/** Every import that crosses a workspace boundary other than through a public entry, with where it is. */
export function findBoundaryViolations(root) {
  const workspaces = readWorkspaces(root);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const violations = [];
  for (const workspace of workspaces) {
    for (const key of workspace.exports.filter((key) => key.includes('*'))) {
      violations.push(
        `${workspace.dir}/package.json exports the pattern "${key}": every file under it becomes public; list the entries others may use`,
      );
    }
  }
  // The root's own scripts are consumers too; they declare no dependencies, so every workspace counts as declared for them.
  const consumers = [
    ...workspaces,
    { name: undefined, dir: 'scripts', exports: [], dependencies: new Set(byName.keys()) },
  ];
  for (const consumer of consumers) {
    const base = resolve(root, consumer.dir);
    for (const file of sourceFiles(base)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[2];
        const where = `${relative(root, file)}:${text.slice(0, match.index).split('\n').length}`;
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (target !== base && !target.startsWith(base + sep))
            violations.push(`${where} reaches outside ${consumer.dir} by path: "${specifier}"`);
          continue;
        }
        const parts = /^(@learnhub\/[^/]+)(?:\/(.*))?$/.exec(specifier);
        if (!parts) continue;
        const [, name, sub] = parts;
        if (name === consumer.name) continue;
        const target = byName.get(name);
        if (!target) {
          violations.push(`${where} imports "${specifier}", but no workspace is named ${name}`);
          continue;
        }
        if (!consumer.dependencies.has(name))
          violations.push(`${where} imports ${name} without declaring it in ${consumer.dir}/package.json`);
        const entry = sub === undefined ? '.' : `./${sub}`;
        if (!target.exports.includes(entry))
          violations.push(
            `${where} imports "${specifier}", which ${name} does not export (its entries: ${target.exports.join(', ') || 'none'})`,
          );
        else if (entry.split('/').includes('testing') && !isTestCode(file))
          violations.push(`${where} imports the test entry "${specifier}" outside tests`);
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const violations = findBoundaryViolations(join(dirname(fileURLToPath(import.meta.url)), '..'));
  for (const violation of violations) console.log(violation);
  console.log(
    `${violations.length} import${violations.length === 1 ? '' : 's'} across workspace boundaries outside public entries`,
  );
  process.exit(violations.length === 0 ? 0 : 1);
}
