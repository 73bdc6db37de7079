import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

/** Where the console's browser tests save what each page looked like. */
export const screenshots = join(process.cwd(), '.test-results', 'web-console');

/** axe-core's findings on the page as it is now; every rule of WCAG 2.1 A and AA, and best practice. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const axe = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated by the driver: the console's Content-Security-Policy rightly refuses an inline script tag.
  await page.evaluate(axe);
  const found = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as { axe: { run(o: object): Promise<{ violations: unknown[] }> } }
    ).axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return result.violations as { id: string; help: string; nodes: { target: string[] }[] }[];
  });
  return found.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Fails on any accessibility finding, then saves the page as `<name>.png` under `screenshots`. */
export async function checkPage(page: Page, name: string): Promise<void> {
  assert.deepEqual(await accessibilityViolations(page), [], `accessibility of the ${name} page`);
  await mkdir(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** Signs in on the console's development form; `organisation` for members. */
export async function signIn(
  page: Page,
  origin: string,
  role: string,
  user: string,
  organisation?: string,
): Promise<void> {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel('角色').selectOption(role);
  if (organisation) await page.getByLabel('机构编号').fill(organisation);
  await page.getByLabel('用户编号').fill(user);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByText(`已登录：${user}`).waitFor();
}

/** Saves what the page showed when a test ended, for a failure's reader. */
export async function saveEndOf(page: Page | undefined, testName: string): Promise<void> {
  await page
    ?.screenshot({ path: join(screenshots, `end-of-${testName.slice(0, 40).replace(/\W+/g, '-')}.png`) })
    .catch(() => undefined);
}

/** Presses Tab until `target` has the focus, as a keyboard user would reach it; fails after `most` presses. */
export async function tabTo(page: Page, target: Locator, most = 60): Promise<void> {
  for (let presses = 0; presses < most; presses++) {
    if (await target.evaluate((element) => (element as unknown as { matches(s: string): boolean }).matches(':focus')))
      return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab did not reach ${target} in ${most} presses`);
}
