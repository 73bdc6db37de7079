import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { backendUrl } from '@learnhub/platform/testing';

/** Debian's Chromium: TEST_CHROMIUM_PATH, else /usr/bin/chromium when installed; undefined when there is none. */
export function chromiumPath(): string | undefined {
  return process.env.TEST_CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
}

/**
 * The Chromium `suite` drives; without one the suite is skipped with one line, or fails where
 * REQUIRE_BACKENDS requires a browser (CI).
 */
export function chromiumFor(suite: string): string | undefined {
  return chromiumPath() ?? backendUrl('browser', suite);
}

/**
 * Debian's Chromium (TEST_CHROMIUM_PATH), headless, driven by playwright-core. The flags keep it
 * from reaching for Google's services, which this machine's closed network refuses.
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page as the console's people see it: Chinese, on a laptop's screen. */
export function consolePage(browser: Browser): Promise<Page> {
  return browser.newPage({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
}
