import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { composeSchema, schemaDir } from './compose';

composeSchema().then(
  async ({ files }) => {
    for (const [name, contents] of files) {
      await writeFile(join(schemaDir, name), contents);
      process.stdout.write(`wrote schema/${name}\n`);
    }
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
