import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { badInput } from '@learnhub/platform/errors';
import type { CourseDocument } from '@learnhub/contracts/course-index';
import { parseCourseDocument } from '../documents/course-document';

// Editors on Windows often start UTF-8 files with a byte-order mark, which JSON.parse refuses.
const withoutBom = (text: string) => (text.startsWith('\ufeff') ? text.slice(1) : text);

/** Reads the first non-blank character, to tell a JSON array from newline-delimited JSON. */
async function firstCharacter(file: string): Promise<string | undefined> {
  const handle = await open(file);
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return withoutBom(buffer.subarray(0, bytesRead).toString('utf8')).trimStart()[0];
  } finally {
    await handle.close();
  }
}

/**
 * The published courses in a JSON file: either one array of documents (as the fixture CLI
 * writes) or one document per line (NDJSON, streamed, for sources of any size). Every document
 * is validated; the first bad one stops the read, naming where it is.
 */
export async function* jsonFileCourses(file: string): AsyncGenerator<CourseDocument> {
  if ((await firstCharacter(file)) === '[') {
    let documents: unknown;
    try {
      documents = JSON.parse(withoutBom(await readFile(file, 'utf8')));
    } catch (error) {
      throw badInput(`${file} is not valid JSON: ${(error as Error).message}`);
    }
    const list = documents as unknown[];
    for (let i = 0; i < list.length; i++) yield parseCourseDocument(list[i], `documents[${i}]`);
    return;
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(number === 1 ? withoutBom(line) : line);
    } catch (error) {
      throw badInput(`${file} line ${number} is not valid JSON: ${(error as Error).message}`);
    }
    yield parseCourseDocument(value, `line ${number}`);
  }
}
