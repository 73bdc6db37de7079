/** Whether `text` is an MD5 in lower-case hex: how media ids, file and chunk checksums are written. */
export const isMd5 = (text: string): boolean => /^[0-9a-f]{32}$/.test(text);
