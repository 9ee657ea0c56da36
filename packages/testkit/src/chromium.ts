// Debian's Chromium driven by playwright-core: no browser download, the same binary CI installs with apt.

import { type Browser, chromium } from 'playwright-core';
import { register, unregister } from './process/registry.js';
import { requireCommand } from './require-command.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a root container without a GPU or network: no sandbox, no QUIC, no background fetches. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchChromiumOptions {
  /** Launch timeout (default 30 s; the first start on a cold disk is slow). */
  timeoutMs?: number;
}

/**
 * Launches headless Chromium from /usr/bin/chromium (throws with `apt-get install -y chromium` when it is
 * missing). The browser is registered with stopAll(), so a failing test does not leave it running.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const executablePath = requireCommand(CHROMIUM_PATH, 'chromium');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: options.timeoutMs ?? 30_000,
  });
  const entry = { description: `chromium (${executablePath})`, stop: () => browser.close() };
  register(entry);
  browser.on('disconnected', () => unregister(entry));
  return browser;
}
