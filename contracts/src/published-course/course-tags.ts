/**
 * A course's tags: content keeps them as one line of text, which people separate with commas
 * (ASCII or Chinese), enumeration commas, semicolons or bars.
 */
export function courseTags(line: string | undefined): string[] {
  return (line ?? '')
    .split(/[,，、;；|]/)
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}
