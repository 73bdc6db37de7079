import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeTestClips, type TestClips } from '@learnhub/media/testing';
import { processesMentioning, waitUntil } from '@learnhub/platform/testing';
import { checkPage, saveEndOf, signIn } from '../testing/console-page';
import { chromiumFor, consolePage, launchChromium } from '../testing/chromium';
import { minimalPdf, solidPng } from '../testing/sample-documents';
import { freeStartPorts, NpmStart } from './npm-start';

/*
 * The console's whole story on `npm start` as a clone runs it (its embedded defaults; only the
 * ports are chosen free), in Debian's Chromium at the address its ready line prints, every step
 * through the UI: files are uploaded in the media library and the jobs worker npm start runs
 * transcodes, publishes and indexes.
 */

const executablePath = chromiumFor('the web console on npm start');

describe('the web console on npm start', { skip: !executablePath, timeout: 600_000 }, () => {
  let dataDir: string;
  let started: NpmStart;
  let origin: string;
  let browser: Browser;
  let page: Page;
  let clips: TestClips;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lh-console-story-'));
    started = NpmStart.run(dataDir, await freeStartPorts());
    await started.ready();
    // The console's address as npm start prints it for a person to open.
    const printed = /Learnhub is running: (\S+?)\/? \(the web console\)/.exec(started.output());
    assert.ok(printed, `npm start names the console's address:\n${started.output()}`);
    origin = printed[1];
    clips = await makeTestClips();
    browser = await launchChromium(executablePath!);
    page = await consolePage(browser);
  });
  afterEach((t) => saveEndOf(page, t.name));
  after(async () => {
    await browser?.close();
    await started?.interrupt();
    for (const { pid } of await processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    await clips?.remove();
  });

  test('the whole story: an author builds a course, is told what is missing, completes it and submits; an auditor approves; the author publishes; anyone finds it; the author takes it offline', async () => {
    const name = 'Go 并发编程';
    const section = '1.1 goroutine 与 channel';
    const notes = '1.2 讲义';
    const [handout, cover] = [join(dataDir, 'handout.pdf'), join(dataDir, 'cover.png')];
    await writeFile(handout, minimalPdf('handout'));
    await writeFile(cover, solidPng());

    await signIn(page, origin, 'member', 'author-3', 'org-a');
    // A real AVI that browsers cannot play, a PDF and a cover picture: the jobs worker makes the AVI playable.
    await page.getByRole('link', { name: '媒资管理' }).click();
    await page.getByLabel('选择文件').setInputFiles([clips.avi, handout, cover]);
    const library = page.getByRole('table', { name: '媒资库' });
    await library
      .getByRole('row', { name: /legacy\.avi/ })
      .getByRole('cell', { name: '可播放' })
      .waitFor({ timeout: 120_000 });
    await library.getByRole('row', { name: /handout\.pdf/ }).waitFor();
    await library.getByRole('row', { name: /cover\.png/ }).waitFor();
    await page.getByRole('link', { name: '我的课程' }).click();
    await page.getByRole('link', { name: '新建课程' }).click();
    await page.getByRole('button', { name: '新建课程' }).click();
    // Every field the API refuses has its message next to it.
    const fieldOf = (label: string) => page.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });
    await fieldOf('课程名称').locator('.field-error').getByText('is required').waitFor();
    await fieldOf('大分类')
      .locator('.field-error')
      .getByText(/is required/)
      .waitFor();
    await checkPage(page, 'course-new');

    await page.getByLabel('课程名称', { exact: true }).fill(name);
    await page.getByLabel('适用人群').fill('写过 Go 的后端开发者');
    await page.getByLabel('大分类').selectOption('1-3');
    await page.getByLabel('小分类').selectOption('1-3-1');
    await page.getByLabel('收费规则').selectOption('PAID');
    await page.getByLabel('价格（元）').fill('-5');
    await page.getByRole('button', { name: '新建课程' }).click();
    await fieldOf('价格（元）').locator('.field-error').waitFor();
    await page.getByLabel('价格（元）').fill('129');
    await page.getByRole('button', { name: '新建课程' }).click();
    await page.getByRole('heading', { name: `编辑课程：${name}` }).waitFor();

    await page.getByRole('textbox', { name: '添加章' }).fill('第一章 入门');
    await page.getByRole('button', { name: '添加章' }).click();
    await page.getByRole('textbox', { name: '添加小节：第一章 入门' }).fill(section);
    await page.getByRole('button', { name: '添加小节：第一章 入门' }).click();
    await page.getByRole('button', { name: '提交审核' }).click();
    // What is missing, each linked to where it is fixed.
    await page.getByRole('link', { name: /the course has no cover picture/ }).waitFor();
    assert.equal(
      await page.getByRole('link', { name: /the course has no cover picture/ }).getAttribute('href'),
      '#cover',
    );

    await page.getByLabel('从媒资库选择图片').selectOption({ label: 'cover.png' });
    await page.getByRole('button', { name: '设为封面' }).click();
    await page.getByRole('img', { name: 'cover.png' }).waitFor();
    // The list is the last submit's: once the course changes, it says so.
    await page.getByRole('alert').getByText('课程已修改，再次提交审核即可重新检查', { exact: false }).waitFor();
    await page.getByLabel(`选择视频或文档：${section}`).selectOption({ label: 'legacy.avi' });
    await page.getByRole('button', { name: `绑定媒资：${section}` }).click();
    await page.getByRole('button', { name: `解除绑定：${section}` }).waitFor();
    await page.getByRole('textbox', { name: '添加小节：第一章 入门' }).fill(notes);
    await page.getByRole('button', { name: '添加小节：第一章 入门' }).click();
    await page.getByLabel(`选择视频或文档：${notes}`).selectOption({ label: 'handout.pdf' });
    await page.getByRole('button', { name: `绑定媒资：${notes}` }).click();
    await page.getByRole('button', { name: `解除绑定：${notes}` }).waitFor();
    // Moved above the video, then back.
    await page.getByRole('button', { name: `上移：${notes}` }).click();
    await page
      .locator('.plan ol li')
      .first()
      .getByRole('textbox', { name: `小节名称：${notes}` })
      .waitFor();
    await page.getByRole('button', { name: `下移：${notes}` }).click();
    await page
      .locator('.plan ol li')
      .last()
      .getByRole('textbox', { name: `小节名称：${notes}` })
      .waitFor();
    await page.getByLabel(`可试看：${section}`).check();
    await page.getByLabel('姓名').fill('张老师');
    await page.getByRole('button', { name: '添加讲师' }).click();
    await page.getByRole('button', { name: '删除：张老师' }).waitFor();
    await page.getByRole('button', { name: '生成预览' }).click();
    await page.frameLocator('iframe.snapshot').getByText(name).first().waitFor();
    await checkPage(page, 'course-editor');
    await page.getByRole('button', { name: '提交审核' }).click();
    await page.getByText('已提交审核。').waitFor();

    await signIn(page, origin, 'auditor', 'auditor-2');
    await page.getByRole('link', { name: '课程审核' }).click();
    await page.getByRole('button', { name }).click();
    await page.getByRole('radio', { name: '通过' }).check();
    await page.getByRole('button', { name: '提交审核结论' }).click();
    await page.getByText(`已通过：${name}。`).waitFor();

    await signIn(page, origin, 'member', 'author-3', 'org-a');
    await page.getByRole('link', { name: '我的课程' }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('button', { name: '发布' }).click();
    await page.getByText('已发布：静态页面、搜索和缓存将在片刻后更新。').waitFor();
    await page.getByRole('table', { name: '审核记录' }).getByRole('cell', { name: '通过', exact: true }).waitFor();

    // The jobs worker indexes it moments later.
    await page.goto(`${origin}/?q=${encodeURIComponent('并发')}`);
    await waitUntil(
      'the published course to appear in search',
      async () => {
        await page.reload();
        return (await page.getByRole('link', { name }).count()) > 0;
      },
      60_000,
      undefined,
      1_000,
    );
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    await page.getByText(section).waitFor();
    await page.getByText('适用人群：写过 Go 的后端开发者').waitFor();
    // The cover picture the public is shown is readable by the public.
    await waitUntil(
      'the cover picture to load on the course page',
      () =>
        page
          .locator('img.cover')
          .evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0),
      10_000,
    );
    await checkPage(page, 'course-published');

    // A video a published course shows cannot be deleted; the refusal says which course.
    await page.getByRole('link', { name: '媒资管理' }).click();
    await page.getByRole('button', { name: '删除 legacy.avi' }).click();
    await page.getByRole('alert').getByText(`is used by course "${name}"`, { exact: false }).waitFor();

    await page.getByRole('link', { name: '我的课程' }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('button', { name: '下线' }).click();
    await page.getByRole('button', { name: '重新上线' }).waitFor();
    // Offline courses leave search once the worker has taken the message.
    await waitUntil(
      'the offline course to leave search',
      async () => {
        await page.goto(`${origin}/?q=${encodeURIComponent('并发')}`);
        await page.getByText(/共 \d+ 门课程|没有找到符合条件的课程/).waitFor();
        return (await page.getByRole('link', { name }).count()) === 0;
      },
      60_000,
      undefined,
      1_000,
    );
  });
});
