// launchChromium drives Debian's /usr/bin/chromium, and stopAll() closes a browser a test forgot.

import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, runningCount, stopAll } from '../src/index.js';

afterAll(() => stopAll());

describe('launchChromium', () => {
  it('renders a page and is closed by stopAll()', async () => {
    const browser = await launchChromium();
    const page = await browser.newPage();
    await page.setContent('<h1>Homeport</h1>');
    expect(await page.textContent('h1')).toBe('Homeport');
    expect(runningCount()).toBe(1);

    await stopAll();
    expect(browser.isConnected()).toBe(false);
    expect(runningCount()).toBe(0);
  });
});
