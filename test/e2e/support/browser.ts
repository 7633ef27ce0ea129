/**
 * Debian's chromium (apt) driven by playwright-core: no browser is ever
 * downloaded. CHROMIUM_PATH overrides the executable.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const LAUNCH_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<RunningBrowser> {
  // launch() gives chromium a fresh temporary user-data dir and removes it on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: LAUNCH_FLAGS });
  return { browser, close: () => browser.close() };
}

/** Screenshots are CI artifacts: test/e2e/artifacts/ (git-ignored). */
export const ARTIFACTS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'artifacts');
