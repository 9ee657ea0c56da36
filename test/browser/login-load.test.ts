// The login page's first load in real Chromium with an empty cache, against the built server on loopback:
// how long until the form can be used, and how many bytes crossed the wire (compressed assets).

import { startHomeport } from '@homeport/testkit';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openTestPage } from './support/page.js';
import { browserSuite } from './support/suite.js';

const suite = browserSuite(() => startHomeport({ requireWebUi: true }));

/**
 * The goal for loopback with an empty cache, judged on the fastest round: other suites share the two
 * cores and only ever add time. Printed as met or missed, not asserted — a test that times itself fails on a
 * busy machine for no fault of the page; what the page controls (bytes, compression) is asserted below.
 */
const INTERACTIVE_GOAL_MS = 300;
/** The first load before compression was 697 KB; compressed it must stay well under half of that. */
const TRANSFER_BUDGET_BYTES = 300_000;
// Enough rounds that one of them usually runs while the other suites leave the cores alone.
const ROUNDS = 9;

interface Load {
  /** performance.now() (from navigation start) when an enabled "Sign in" button was in the page. */
  interactiveMs: number;
  /** Bytes on the wire, headers included (Resource Timing transferSize of the document and every resource). */
  transferredBytes: number;
  /** Navigation milestones (ms from navigation start): the HTML received, DOMContentLoaded done. */
  documentMs: number;
  domContentLoadedMs: number;
  /** Content-Encoding of each script and stylesheet. */
  encodings: string[];
}

/**
 * Records the moment the enabled submit button appears: a MutationObserver installed before any page script
 * runs, so the figure does not include Playwright's polling. React attaches its event handlers at the root
 * before it renders, so a rendered button is a usable one. (Page code as text: this project's type-check has
 * no DOM library.)
 */
const WATCH_INTERACTIVE = `(() => {
  const mark = () => {
    const button = [...document.querySelectorAll('button')].find(
      (element) => element.textContent.trim() === 'Sign in' && !element.disabled,
    );
    if (!button) return false;
    window.__interactiveAt = performance.now();
    return true;
  };
  const observer = new MutationObserver(() => { if (mark()) observer.disconnect(); });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})()`;

/** Read in the page after the load event: the interactive mark, bytes on the wire, navigation milestones. */
const READ_FIGURES = `(() => {
  const [navigation] = performance.getEntriesByType('navigation');
  const entries = [navigation, ...performance.getEntriesByType('resource')];
  return {
    interactiveMs: window.__interactiveAt,
    transferredBytes: entries.reduce((sum, entry) => sum + entry.transferSize, 0),
    documentMs: navigation.responseEnd,
    domContentLoadedMs: navigation.domContentLoadedEventEnd,
  };
})()`;

async function loadLogin(page: Page): Promise<Load> {
  const encodings: string[] = [];
  page.on('response', (response) => {
    if (!/\.(js|css)$/.test(new URL(response.url()).pathname)) return;
    const encoding = response.headers()['content-encoding'] ?? 'identity';
    // The build compresses assets of 1 KiB and more (apps/web/vite.config.ts); a smaller one goes as it is.
    const size = Number(response.headers()['content-length'] ?? Number.POSITIVE_INFINITY);
    if (encoding !== 'identity' || size >= 1024) encodings.push(encoding);
  });
  await page.addInitScript({ content: WATCH_INTERACTIVE });
  await page.goto('/login');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.waitForFunction("'__interactiveAt' in window");
  // Resource entries are complete once the load event fired.
  await page.waitForLoadState('load');
  // The shape READ_FIGURES returns.
  const measured = (await page.evaluate(READ_FIGURES)) as Omit<Load, 'encodings'>;
  return { ...measured, encodings };
}

describe('login page load (empty cache, loopback)', () => {
  it(`prints how fast it is interactive (goal ${INTERACTIVE_GOAL_MS} ms) and transfers only compressed scripts and styles`, async () => {
    // The suite's page warms the server's file reads; every measured round is a new context, so a cold cache.
    await suite.page.goto('/login');
    await suite.page.getByRole('button', { name: 'Sign in' }).waitFor();

    const loads: Load[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const { context, page, pageErrors } = await openTestPage(suite.browser, suite.homeport.url);
      try {
        loads.push(await loadLogin(page));
        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }
    const median = (values: number[]) =>
      [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? Number.POSITIVE_INFINITY;
    const times = loads.map((load) => load.interactiveMs);
    const fastest = Math.min(...times);
    const bytes = loads[0]?.transferredBytes ?? 0;
    const ms = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    console.log(
      [
        `login page, empty cache, loopback, ${ROUNDS} rounds:`,
        `  interactive        ${ms(times)} ms (median ${median(times).toFixed(0)}, fastest ${fastest.toFixed(0)})`,
        `  HTML received      ${ms(loads.map((load) => load.documentMs))} ms`,
        `  DOMContentLoaded   ${ms(loads.map((load) => load.domContentLoadedMs))} ms`,
        `  transferred        ${(bytes / 1024).toFixed(1)} KiB (${[...new Set(loads[0]?.encodings)].join(', ')})`,
        `  goal               fastest < ${INTERACTIVE_GOAL_MS} ms: ${fastest < INTERACTIVE_GOAL_MS ? 'met' : 'MISSED'}`,
      ].join('\n'),
    );

    expect(loads[0]?.encodings.length).toBeGreaterThan(0);
    expect(loads[0]?.encodings.every((encoding) => encoding === 'br' || encoding === 'gzip')).toBe(true);
    expect(bytes).toBeLessThan(TRANSFER_BUDGET_BYTES);
    expect(times.every((time) => Number.isFinite(time) && time > 0)).toBe(true);
  });
});
