// One browser suite's life cycle: a Homeport and a Chromium for the file, a fresh page per test whose
// uncaught errors fail the test, and everything stopped by PID at the end.

import { type HomeportInstance, launchChromium, removeTempDirs, stopAll } from '@homeport/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { openTestPage } from './page.js';

export interface BrowserSuite {
  homeport: HomeportInstance;
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/** Registers the hooks; the returned object's fields are set before each test runs. */
export function browserSuite(start: () => Promise<HomeportInstance>): BrowserSuite {
  // Filled in by the hooks below before any test reads them.
  const suite = {} as BrowserSuite;
  let pageErrors: string[] = [];
  beforeAll(async () => {
    suite.homeport = await start();
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.homeport?.process.stop();
    // Anything a failed hook left behind (the browser, the server) is stopped by PID here.
    await stopAll();
    removeTempDirs();
  });
  beforeEach(async () => {
    ({
      context: suite.context,
      page: suite.page,
      pageErrors,
    } = await openTestPage(suite.browser, suite.homeport.url));
  });
  afterEach(async () => {
    await suite.context.close();
    // An uncaught exception in the app is a bug even when the screen looks right.
    expect(pageErrors).toEqual([]);
  });
  return suite;
}
