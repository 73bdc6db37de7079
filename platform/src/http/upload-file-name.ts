import { badInput } from '../errors';

export const MAX_FILE_NAME_LENGTH = 255;

// C0, DEL and C1: never part of a name a person reads, and unsafe in headers, logs and shells.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** The raw name as an error message may quote it: cut short, quotes and control characters escaped as \uXXXX. */
function quoted(raw: string): string {
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  return `"${shown.replace(/[\u0000-\u001f\u007f-\u009f"\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * The name an uploaded file is stored and shown under: the last path segment (for `/` and `\`
 * alike), without control characters or surrounding spaces. Refuses, with BAD_USER_INPUT naming
 * the file, a name with nothing left, `.`, `..`, or more than 255 characters.
 */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(CONTROL_CHARACTERS, '').trim();
  if (!cleaned || cleaned === '.' || cleaned === '..') {
    const named = raw ? `The file name ${quoted(raw)} leaves no usable name` : 'The file has no name';
    throw badInput(`${named}: send the file with a name such as "lesson-1.pdf".`, {
      reason: 'INVALID_FILE_NAME',
      fields: [{ field: 'file', message: 'missing file name' }],
    });
  }
  if (cleaned.length > MAX_FILE_NAME_LENGTH) {
    throw badInput(
      `The file name ${quoted(raw)} is longer than ${MAX_FILE_NAME_LENGTH} characters: send it with a shorter name.`,
      {
        reason: 'INVALID_FILE_NAME',
        fields: [{ field: 'file', message: 'name too long' }],
      },
    );
  }
  return cleaned;
}
