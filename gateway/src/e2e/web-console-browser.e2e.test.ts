import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uploadPath } from '@learnhub/upload-client/node';
import { CourseIndexClient, type CourseDocument } from '@learnhub/contracts/course-index';
import { makeTestClips, type TestClips } from '@learnhub/media/testing';
import { waitUntil } from '@learnhub/platform/testing';
import { ChunkGate } from '../testing/chunk-gate';
import { checkPage, saveEndOf, screenshots, signIn, tabTo } from '../testing/console-page';
import { chromiumFor, consolePage, launchChromium } from '../testing/chromium';
import { minimalPdf, solidPng } from '../testing/sample-documents';
import { courseDocument } from '../testing/course-document';
import { graphql, mp4FreeBox, ok, PlatformStack, upload } from './platform-stack';

/*
 * The web console as people use it: Debian's Chromium, headless, on the gateway's origin of a
 * whole platform started in development without a jobs worker, so tasks wait for the admin.
 * Courses are put into search through its indexing API (publishing them through the UI is the
 * story on npm start). Every page is checked with axe-core and saved as a screenshot under
 * .test-results/web-console.
 */

const executablePath = chromiumFor('the web console in Chromium');

const course = (id: number, overrides: Partial<CourseDocument> = {}): CourseDocument =>
  courseDocument({
    id: String(id),
    name: `Spring微服务实战 第${id}期`,
    description: '从零搭建一套微服务',
    publishedAt: new Date(Date.UTC(2026, 0, id)).toISOString(),
    ...overrides,
  });

describe('the web console in Chromium', { skip: !executablePath, timeout: 600_000 }, () => {
  let stack: PlatformStack;
  let browser: Browser;
  let page: Page;
  let clips: TestClips;
  let gate: ChunkGate;

  before(async () => {
    await mkdir(screenshots, { recursive: true });
    // Chunk upload URLs lead through the gate, which can hold chunks to stop an upload half-way.
    gate = await ChunkGate.start();
    stack = await PlatformStack.start({ NODE_ENV: 'development', PUBLIC_URL: gate.origin });
    gate.target = new URL(stack.gatewayUrl);
    const indexer = new CourseIndexClient(stack.searchUrl, stack.gatewaySecret);
    for (let id = 1; id <= 12; id++) await indexer.upsert(course(id));
    await indexer.upsert(
      course(13, {
        name: 'React 前端入门',
        mt: '1-1',
        mtName: '前端开发',
        st: '1-1-1',
        stName: 'HTML/CSS',
        charge: 'FREE' as CourseDocument['charge'],
        price: '0.00',
        grade: 'BEGINNER' as CourseDocument['grade'],
      }),
    );
    clips = await makeTestClips();
    browser = await launchChromium(executablePath!);
    page = await consolePage(browser);
  });
  afterEach((t) => saveEndOf(page, t.name));
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await gate?.close();
    await clips?.remove();
  });

  test('anyone searches published courses: highlights, facets with counts, paging, all kept in the address', async () => {
    await page.goto(`${stack.gatewayUrl}/`);
    await page.getByRole('heading', { name: '课程搜索' }).waitFor();
    await page.getByText('共 13 门课程').waitFor();
    await page.getByLabel('关键词').fill('Spring');
    await page.getByRole('button', { name: '搜索' }).click();
    await page.getByText('共 12 门课程').waitFor();
    assert.match(page.url(), /\?q=Spring$/);
    const first = page.getByRole('list', { name: '搜索结果' }).getByRole('listitem').first();
    assert.equal(await first.locator('mark').first().textContent(), 'Spring');
    // The facet shows what each choice would find, the other filters applied.
    await page.getByRole('radio', { name: /Java \(12\)/ }).check();
    await page.getByText('第 1 / 2 页').waitFor();
    assert.match(page.url(), /st=1-3-1/);
    await checkPage(page, 'search');
    await page.getByRole('button', { name: '下一页' }).click();
    await page.getByText('第 2 / 2 页').waitFor();
    assert.equal(await page.getByRole('list', { name: '搜索结果' }).getByRole('listitem').count(), 2);
    await page.goBack();
    await page.getByText('第 1 / 2 页').waitFor();
  });

  test('a keyword nothing matches says so, and a course that is not published says so', async () => {
    await page.goto(`${stack.gatewayUrl}/?q=${encodeURIComponent('量子烹饪')}`);
    await page.getByText('没有找到符合条件的课程').waitFor();
    await checkPage(page, 'search-empty');
    await page.goto(`${stack.gatewayUrl}/?q=React`);
    // The name keeps its space around the highlighted word.
    await page.getByRole('link', { name: 'React 前端入门' }).click();
    await page.getByText('这门课程未发布或已下线。').waitFor();
    assert.match(page.url(), /\/courses\/13$/);
    await checkPage(page, 'course-not-published');
  });

  test('signs in for a chosen role in development, shows who is signed in, and signs out', async () => {
    await page.goto(`${stack.gatewayUrl}/sign-in`);
    await page.getByRole('heading', { name: '开发环境登录' }).waitFor();
    await checkPage(page, 'sign-in');
    await page.getByRole('textbox', { name: '令牌' }).fill('not-a-token');
    await page.getByRole('button', { name: '使用此令牌' }).click();
    await page.getByRole('alert').getByText('这不是一个有效的令牌').waitFor();
    await page.getByLabel('角色').selectOption('auditor');
    // Auditors are the platform's, not an organisation's: no organisation is asked for or put in the token.
    await page.getByLabel('机构编号').waitFor({ state: 'detached' });
    await page.getByLabel('用户编号').fill('auditor-7');
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByText('已登录：auditor-7（审核员）').waitFor();
    const menu = page.getByRole('navigation', { name: '主导航' });
    await menu.getByRole('link', { name: '课程审核' }).waitFor();
    assert.equal(await menu.getByRole('link', { name: '媒资管理' }).count(), 0, 'no media library for an auditor');
    assert.equal(new URL(page.url()).pathname, '/');
    // The token is kept for the next visit.
    await page.reload();
    await page.getByText('已登录：auditor-7（审核员）').waitFor();
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByRole('link', { name: '登录' }).waitFor();
  });

  test('a keyboard alone searches, pages, signs in, opens the media library and chooses a file to upload', async () => {
    const pdf = join(screenshots, 'keyboard.pdf');
    await writeFile(pdf, minimalPdf('keyboard'));
    await page.goto(`${stack.gatewayUrl}/`);
    await page.getByText('共 13 门课程').waitFor();
    await tabTo(page, page.getByLabel('关键词'));
    await page.keyboard.type('Spring');
    await page.keyboard.press('Enter');
    await page.getByText('共 12 门课程').waitFor();
    await tabTo(page, page.getByRole('button', { name: '下一页' }));
    await page.keyboard.press('Enter');
    await page.getByText('第 2 / 2 页').waitFor();

    await page.goto(`${stack.gatewayUrl}/sign-in`);
    await tabTo(page, page.getByLabel('用户编号'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('author-5');
    await page.keyboard.press('Enter');
    await page.getByText('已登录：author-5').waitFor();
    await tabTo(page, page.getByRole('link', { name: '媒资管理' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '媒资库' }).waitFor();
    // The file button inside the drop zone opens the browser's file chooser from the keyboard. The driver
    // catches choosers only once it has told the browser to, so it is told before the tabbing, not just before Enter.
    const chooser = page.waitForEvent('filechooser', { timeout: 15_000 });
    await tabTo(page, page.getByLabel('选择文件'));
    await page.keyboard.press('Enter');
    await (await chooser).setFiles(pdf);
    await page
      .locator('.uploads')
      .getByRole('listitem')
      .filter({ hasText: 'keyboard.pdf' })
      .getByText('上传完成')
      .waitFor();
  });

  test('an admin sees transcoding tasks and publish messages as they are, and cancels and retries a task', async () => {
    // No jobs worker runs here: the AVI's transcoding task stays pending until the admin acts.
    const member = await stack.token('author-1', ['member'], 'org-a');
    await uploadPath(clips.avi, { endpoint: `${stack.gatewayUrl}/graphql`, token: member });

    await page.goto(`${stack.gatewayUrl}/admin`);
    await page.getByText('只有管理员可以查看任务').waitFor();
    await signIn(page, stack.gatewayUrl, 'admin', 'admin-1');
    await page.getByRole('link', { name: '任务管理' }).click();
    const row = page.getByRole('row', { name: /legacy\.avi/ });
    await row.getByRole('cell', { name: '等待中' }).waitFor();
    await page.getByText('没有符合条件的发布消息。').waitFor();
    await checkPage(page, 'admin-tasks');

    await row.getByRole('button', { name: '取消 legacy.avi' }).click();
    await row.getByRole('cell', { name: '已取消' }).waitFor();
    await row.getByRole('button', { name: '重试 legacy.avi' }).click();
    await row.getByRole('cell', { name: '等待中' }).waitFor();
    // The filter asks the API for one state only.
    await page.getByRole('region', { name: '转码任务' }).getByLabel('状态').selectOption('SUCCEEDED');
    await page.getByText('没有符合条件的转码任务。').waitFor();
  });

  test('an author uploads several files with a progress bar each, sees an instant upload, and deletes from the library', async () => {
    const pdf = join(screenshots, 'syllabus.pdf');
    await writeFile(pdf, minimalPdf());
    await signIn(page, stack.gatewayUrl, 'member', 'author-1', 'org-a');
    await page.getByRole('link', { name: '媒资管理' }).click();
    await page.getByRole('heading', { name: '媒资库' }).waitFor();

    await page.getByLabel('选择文件').setInputFiles([clips.mp4, pdf]);
    const uploads = page.locator('.uploads');
    await uploads.getByRole('listitem').filter({ hasText: 'playable.mp4' }).getByText('上传完成').waitFor();
    await uploads.getByRole('listitem').filter({ hasText: 'syllabus.pdf' }).getByText('上传完成').waitFor();
    const library = page.getByRole('table', { name: '媒资库' });
    await library
      .getByRole('row', { name: /syllabus\.pdf/ })
      .getByRole('cell', { name: '文档' })
      .waitFor();
    await library
      .getByRole('row', { name: /playable\.mp4/ })
      .getByRole('cell', { name: '视频' })
      .waitFor();
    await checkPage(page, 'media-library');

    // The same bytes again: nothing is sent.
    await page.getByLabel('选择文件').setInputFiles([clips.mp4]);
    await uploads.getByText('秒传完成（文件已在服务器上）').waitFor();

    await page.getByLabel('类型').selectOption('DOCUMENT');
    await library.getByRole('row', { name: /playable\.mp4/ }).waitFor({ state: 'detached' });
    await library.getByRole('row', { name: /syllabus\.pdf/ }).waitFor();
    await page.getByRole('button', { name: '删除 syllabus.pdf' }).click();
    await page.getByText('没有符合条件的文件。').waitFor();
  });

  test('an auditor reads a submission as its course page and rejects it only with an opinion', async () => {
    const name = await submittedCourse(stack, clips.mp4);
    await signIn(page, stack.gatewayUrl, 'auditor', 'auditor-1');
    await page.getByRole('link', { name: '课程审核' }).click();
    await page.getByRole('heading', { name: '待审核（1）' }).waitFor();
    await page.getByRole('button', { name }).click();
    const frame = page.frameLocator('iframe.snapshot');
    await frame.getByText(name).first().waitFor();
    await checkPage(page, 'audit');

    await page.getByRole('radio', { name: '驳回' }).check();
    await page.getByRole('button', { name: '提交审核结论' }).click();
    // The API's word on the field, next to it.
    await page.locator('.field-error').getByText('is required to reject').waitFor();
    await page.getByLabel(/审核意见/).fill('请补充课程简介，并为第一节换一个更清晰的视频。');
    await page.getByRole('button', { name: '提交审核结论' }).click();
    await page.getByText(`已驳回：${name}。`).waitFor();
    await page.getByText('没有等待审核的课程。').waitFor();
  });
  test('an author pauses an upload, reloads the page, chooses the file again, and only the missing chunks are sent', async () => {
    // A real MP4 padded to 9 chunks of 5 MiB.
    const big = join(screenshots, 'long-lecture.mp4');
    await writeFile(big, Buffer.concat([await readFile(clips.mp4), mp4FreeBox(42 * 1024 * 1024)]));
    // The console on the gate's origin, so its chunks pass the gate.
    await signIn(page, gate.origin, 'member', 'author-4', 'org-a');
    await page.getByRole('link', { name: '媒资管理' }).click();
    gate.holdAfter(4);
    await page.getByLabel('选择文件').setInputFiles([big]);
    await waitUntil('4 chunks stored and the next held', () => gate.passed >= 4 && gate.held >= 1, 60_000);
    const row = page.locator('.uploads').getByRole('listitem').filter({ hasText: 'long-lecture.mp4' });
    await row.getByRole('button', { name: '暂停 long-lecture.mp4' }).click();
    await row.getByText('已暂停').waitFor();

    await page.reload();
    gate.open();
    await page.getByLabel('选择文件').setInputFiles([big]);
    await page
      .locator('.uploads')
      .getByRole('listitem')
      .filter({ hasText: 'long-lecture.mp4' })
      .getByText('上传完成（已从中断处继续）')
      .waitFor({ timeout: 60_000 });
    assert.equal(gate.passed, 9, 'the 4 chunks stored before the pause were not sent again');
    await page
      .getByRole('table', { name: '媒资库' })
      .getByRole('row', { name: /long-lecture\.mp4/ })
      .waitFor();
  });
});

/** A complete course of org-a, submitted for audit: cover, one chapter with a section bound to a playable video. */
async function submittedCourse(stack: PlatformStack, video: string): Promise<string> {
  const token = await stack.token('author-2', ['member'], 'org-a');
  const name = 'Kotlin 协程实战';
  const gql = <T>(query: string, variables: object) => graphql<T>(stack.gatewayUrl, query, variables, token).then(ok);
  const { createCourse } = await gql<{ createCourse: { id: string } }>(
    'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }',
    {
      input: {
        name,
        audience: '有 Java 基础的 Android 开发者',
        mt: '1-3',
        st: '1-3-1',
        grade: 'INTERMEDIATE',
        teachingMode: 'RECORDED',
        charge: 'PAID',
        price: '99',
        validDays: 365,
      },
    },
  );
  const courseId = createCourse.id;
  const cover = ok(
    await upload<{ uploadFile: { id: string } }>(
      stack.gatewayUrl,
      'mutation($file: Upload!) { uploadFile(file: $file) { id } }',
      new Blob([solidPng()]),
      'cover.png',
      token,
    ),
  ).uploadFile.id;
  await gql('mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id } }', {
    id: courseId,
    input: { coverMediaId: cover },
  });
  const save = 'mutation($input: SaveTeachplanInput!) { saveTeachplan(input: $input) { id } }';
  const chapter = (await gql<{ saveTeachplan: { id: string } }>(save, { input: { courseId, name: '第一章 协程基础' } }))
    .saveTeachplan.id;
  const section = (
    await gql<{ saveTeachplan: { id: string } }>(save, {
      input: { courseId, parentId: chapter, name: '1.1 挂起函数', preview: true },
    })
  ).saveTeachplan.id;
  const { media } = await uploadPath(video, { endpoint: `${stack.gatewayUrl}/graphql`, token });
  await gql('mutation($input: BindTeachplanMediaInput!) { bindTeachplanMedia(input: $input) { id } }', {
    input: { teachplanId: section, mediaId: media.id },
  });
  await gql('mutation($id: ID!) { submitCourseForAudit(courseId: $id) { courseId } }', { id: courseId });
  return name;
}
