// A fresh browser context and page per test, with the app's uncaught errors collected (a bug even when
// the screen looks right) and Playwright's waits kept inside Vitest's test timeout.

import type { Browser, BrowserContext, Page } from 'playwright-core';

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Messages of uncaught exceptions in the page; a test's teardown expects none. */
  pageErrors: string[];
}

export async function openTestPage(browser: Browser, baseURL: string): Promise<TestPage> {
  // A new context: no cookie from a previous test's sign-in.
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page, pageErrors };
}
