// Browser-test harness: starts the real `xrm` binary on a fresh data dir with the demo data and
// plugin packages, serving the built UI, and drives Debian's chromium through playwright-core.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const xrmBin = resolve(uiDir, process.env.XRM_BIN ?? '../target/debug/xrm');
const packagesDir = resolve(uiDir, process.env.XRM_PACKAGES_DIR ?? '../target/packages');
const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const screenshotDir = join(uiDir, 'test-results', 'screenshots');
export const packagesPath = packagesDir;

/** Chrome logs every non-2xx response as a console error; these statuses are answers the UI shows. */
const EXPECTED_HTTP_ERRORS = /^Failed to load resource: the server responded with a status of (404|409|412|422) /;

/** Starts `xrm serve --demo` on a free port; resolves once it prints its address. */
export async function startServer() {
  if (!existsSync(xrmBin)) throw new Error(`the xrm binary is missing at ${xrmBin}; set XRM_BIN or run cargo build`);
  if (!existsSync(join(uiDir, 'dist', 'index.html'))) throw new Error('the UI is not built; run npm run build');
  const dataDir = mkdtempSync(join(tmpdir(), 'xrm-ui-test-'));
  const args = ['serve', '--demo', '--ui-dir', join(uiDir, 'dist'), '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (existsSync(packagesDir)) args.push('--demo-packages', packagesDir);
  const child = spawn(xrmBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`xrm did not start within 60 s:\n${log}`)), 60_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /xrm listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`xrm exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    async stop() {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Launches chromium headless with a fresh profile; every console error fails `assertNoConsoleErrors`. */
export async function startBrowser(baseURL, viewport = { width: 1366, height: 860 }) {
  const profile = mkdtempSync(join(tmpdir(), 'xrm-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    baseURL,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(15_000);
  const consoleErrors = [];
  const watch = (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error' && !EXPECTED_HTTP_ERRORS.test(message.text())) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    context,
    consoleErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the user sees in the viewport (full-page captures smear the sticky top bar). */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/** JSON from the API, to set up and confirm what the UI did. */
export async function api(baseURL, path, init = {}) {
  const response = await fetch(new URL(`/api/v1${path}`, baseURL), {
    ...init,
    headers: { 'Content-Type': 'application/json', ...init.headers },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
