/**
 * A real headless Chromium for dashboard tests: Debian's `chromium` package driven by playwright-core
 * (no browser download), with flags for a closed network, a fresh profile per launch, every request
 * that leaves 127.0.0.1 refused and recorded, and screenshots kept under test-artifacts/.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { ensureDebianPackages } from '../../deploy/local/debian-packages';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

// No sandbox: the tests run as root in a container. The rest keep Chromium off the network: no QUIC,
// no component updates, no sync, no background fetches, no first-run pages.
export const CLOSED_NETWORK_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--no-pings',
];

/** Launches Chromium; playwright gives every launch a new temporary profile (user data dir). */
export function launchChromium(): Promise<Browser> {
  ensureDebianPackages(
    [
      { name: 'chromium', present: () => fs.existsSync(CHROMIUM) },
      // Chinese labels in the screenshots; a phone has such a font anyway
      { name: 'fonts-wqy-microhei', present: () => fs.existsSync(CJK_FONT) },
    ],
    'the dashboard test',
  );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CLOSED_NETWORK_ARGS });
}

/** A browser context whose requests may only go to 127.0.0.1; the others are aborted and listed. */
export async function loopbackContext(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; refused: string[] }> {
  const context = await browser.newContext({ locale: 'zh-CN', ...options });
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = ['127.0.0.1', 'localhost'].includes(url.hostname) || url.protocol === 'data:';
    if (local) return route.continue();
    refused.push(url.href);
    return route.abort('blockedbyclient');
  });
  return { context, refused };
}

/** Collects what the page logged as errors (console errors and uncaught exceptions). */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** Numbered screenshots in one folder (emptied first), so a run's pictures read in order. */
export class Screenshots {
  readonly taken: string[] = [];
  private n = 0;

  constructor(readonly dir: string) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }

  async take(page: Page, name: string, fullPage = true): Promise<string> {
    const file = join(this.dir, `${String(++this.n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage, animations: 'disabled' });
    this.taken.push(file);
    return file;
  }
}
