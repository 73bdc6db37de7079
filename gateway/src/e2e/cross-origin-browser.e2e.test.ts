import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumFor, launchChromium } from '../testing/chromium';
import { PlatformStack } from './platform-stack';

const chromiumPath = chromiumFor('a browser on another origin calling the gateway');

/** What the page's script reports back: each call's outcome as the browser saw it. */
interface PageReport {
  graphql?: { status: number; total?: number; requestId: string | null };
  upload?: { status: number; url?: string; error?: string };
  file?: { status: number; contentRange: string | null; bytes: number };
  failure?: string;
}

/** A web app's page served from its own origin: it calls the gateway the way a front end would. */
const appPage = (
  gatewayUrl: string,
  token: string,
) => `<!doctype html><meta charset="utf-8"><title>app</title><script type="module">
const gateway = ${JSON.stringify(gatewayUrl)};
const auth = { authorization: 'Bearer ${token}' };
const report = {};
try {
  const answer = await fetch(gateway + '/graphql', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ mediaFiles { total } }' }) });
  report.graphql = { status: answer.status, total: (await answer.json()).data?.mediaFiles?.total, requestId: answer.headers.get('x-request-id') };
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($file: Upload!) { uploadFile(file: $file) { url } }', variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob(['%PDF-1.7\\n' + 'x'.repeat(2000)], { type: 'application/pdf' }), 'notes.pdf');
  const uploaded = await fetch(gateway + '/graphql', { method: 'POST', headers: { ...auth, 'apollo-require-preflight': 'true' }, body: form });
  const body = await uploaded.json();
  report.upload = { status: uploaded.status, url: body.data?.uploadFile?.url, error: body.errors?.[0]?.message };
  if (report.upload.url) {
    const file = await fetch(report.upload.url, { headers: { range: 'bytes=0-99' } });
    report.file = { status: file.status, contentRange: file.headers.get('content-range'), bytes: (await file.arrayBuffer()).byteLength };
  }
} catch (error) {
  report.failure = String(error);
}
window.report = report;
</script>`;

async function serve(html: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html()),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

describe('a browser app on another origin', { skip: !chromiumPath, timeout: 180_000 }, () => {
  let stack: PlatformStack;
  let browser: Browser;
  let allowed: { server: Server; origin: string };
  let refused: { server: Server; origin: string };
  let token: string;

  before(async () => {
    allowed = await serve(() => appPage(stack.gatewayUrl, token));
    refused = await serve(() => appPage(stack.gatewayUrl, token));
    stack = await PlatformStack.start({ CORS_ORIGINS: allowed.origin });
    token = await stack.token('alice', ['member'], 'org-browser');
    browser = await launchChromium(chromiumPath!);
  });
  after(async () => {
    await browser?.close();
    allowed?.server.close();
    refused?.server.close();
    await stack?.stop();
  });

  async function visit(origin: string): Promise<PageReport> {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      await page.waitForFunction(() => 'report' in globalThis, undefined, { timeout: 30_000 });
      return (await page.evaluate(() => (globalThis as unknown as { report: PageReport }).report)) as PageReport;
    } finally {
      await page.close();
    }
  }

  test('an origin listed in CORS_ORIGINS queries, uploads with the preflight header, and reads a file range', async () => {
    const report = await visit(allowed.origin);
    assert.equal(report.failure, undefined);
    assert.deepEqual(report.graphql && { status: report.graphql.status, total: report.graphql.total }, {
      status: 200,
      total: 0,
    });
    assert.match(report.graphql?.requestId ?? '', /.+/, 'x-request-id is exposed to the page');
    assert.equal(report.upload?.status, 200, report.upload?.error);
    assert.match(report.upload?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/files\//);
    assert.deepEqual(report.file, { status: 206, contentRange: 'bytes 0-99/2009', bytes: 100 });
  });

  test('any other origin is stopped by the browser at the preflight', async () => {
    const report = await visit(refused.origin);
    assert.equal(report.graphql, undefined);
    assert.match(report.failure ?? '', /Failed to fetch/);
  });
});
