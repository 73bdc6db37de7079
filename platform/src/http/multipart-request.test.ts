import assert from 'node:assert/strict';
import { test } from 'node:test';
import { multipartRequest } from './multipart-request';

async function encoded(filename: string, mimetype: string): Promise<string> {
  const request = multipartRequest({ query: '{ a }' }, { 0: ['variables.f'] }, [
    { field: '0', filename, mimetype, content: [Buffer.from('x')] },
  ]);
  const parts: Uint8Array[] = [];
  for await (const part of request.body) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

test('file part headers never carry a control character, whatever the name and type hold', async () => {
  const controls = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join('') + '\u007f';
  const body = await encoded(`a${controls}"b.txt`, `text/plain${controls}`);
  const headers = body.split('\r\n\r\n').map((block) => block.split('\r\n').filter((line) => !line.startsWith('--')));
  for (const line of headers.flat()) {
    if (/^Content-/.test(line)) assert.doesNotMatch(line, /[\u0000-\u001f\u007f]/, JSON.stringify(line));
  }
  assert.match(
    body,
    /filename="a%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14%15%16%17%18%19%1A%1B%1C%1D%1E%1F%7F%22b\.txt"\r\n/,
  );
  assert.match(body, /\r\nContent-Type: text\/plain\r\n\r\nx\r\n/);
});
