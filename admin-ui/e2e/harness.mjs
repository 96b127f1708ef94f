// Browser-test harness: starts the real `xrm` binary on a fresh data dir with the demo data and
// plugin packages, serving the built UI, and drives Debian's chromium through playwright-core.
// `browserSuite` is the before/after of a test file: one server, one browser signed in as the
// demo admin (docs/security.md); `api` calls the API as a demo account too.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const xrmBin = resolve(uiDir, process.env.XRM_BIN ?? '../target/debug/xrm');
const packagesDir = resolve(uiDir, process.env.XRM_PACKAGES_DIR ?? '../target/packages');
const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const screenshotDir = join(uiDir, 'test-results', 'screenshots');
export const packagesPath = packagesDir;
/** The test plugins (recorder, hostile) that scripts/build-plugins puts beside the packages. */
export const testPackagesPath = resolve(uiDir, process.env.XRM_TEST_PACKAGES_DIR ?? join(packagesDir, '..', 'test-packages'));

/** The demo accounts `xrm serve --demo` creates in the workspace `default` (docs/security.md). */
export const ACCOUNTS = {
  admin: { workspace: 'default', email: 'admin@demo.xrm', password: 'xrm-demo-admin' },
  rep: { workspace: 'default', email: 'rep@demo.xrm', password: 'xrm-demo-rep' },
  viewer: { workspace: 'default', email: 'viewer@demo.xrm', password: 'xrm-demo-viewer' },
};

/**
 * Chrome logs every non-2xx response as a console error; these statuses are answers the UI shows
 * (401: the session check before signing in and a refused sign-in; 429: a throttled sign-in).
 */
const EXPECTED_HTTP_ERRORS = /^Failed to load resource: the server responded with a status of (401|404|409|412|422|429) /;

/** Starts `xrm serve --demo` on a free port; resolves once it prints its address. `args` are added. */
export async function startServer({ args: extraArgs = [] } = {}) {
  if (!existsSync(xrmBin)) throw new Error(`the xrm binary is missing at ${xrmBin}; set XRM_BIN or run cargo build`);
  if (!existsSync(join(uiDir, 'dist', 'index.html'))) throw new Error('the UI is not built; run npm run build');
  const dataDir = mkdtempSync(join(tmpdir(), 'xrm-ui-test-'));
  const args = ['serve', '--demo', '--ui-dir', join(uiDir, 'dist'), '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (existsSync(packagesDir)) args.push('--demo-packages', packagesDir);
  args.push(...extraArgs);
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

/**
 * Launches chromium headless with a fresh profile, signed in as `account` (a key of ACCOUNTS,
 * through the API into the browser's cookies; null stays signed out). Every console error is
 * collected in `consoleErrors`, which each test asserts is empty.
 */
export async function startBrowser(baseURL, viewport = { width: 1366, height: 860 }, { account = 'admin' } = {}) {
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
  if (account) await signInContext(context, baseURL, account);
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

/** Signs a browser context in as a demo account through the API: the session cookie lands in it. */
export async function signInContext(context, baseURL, account) {
  const response = await context.request.post(new URL('/api/v1/auth/login', baseURL).href, { data: ACCOUNTS[account] ?? account });
  if (response.status() !== 200) throw new Error(`signing in as ${account} failed: ${response.status()} ${await response.text()}`);
}

/** Signs in through the login page, as a user would. */
export async function signInThroughPage(page, { workspace = 'default', email, password }) {
  await page.goto('/login');
  await page.getByLabel('Workspace').fill(workspace);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** API sessions of the demo accounts, per host: the cookie and the CSRF token. */
const apiSessions = new Map();

async function apiSession(baseURL, account) {
  const key = `${baseURL} ${account}`;
  if (!apiSessions.has(key)) {
    const response = await fetch(new URL('/api/v1/auth/login', baseURL), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(ACCOUNTS[account]),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status !== 200) throw new Error(`API sign-in as ${account} failed: ${response.status} ${JSON.stringify(body)}`);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    apiSessions.set(key, { cookie, csrf: body.csrf_token });
  }
  return apiSessions.get(key);
}

/**
 * JSON from the API, to set up and confirm what the UI did; as the demo admin unless `init.as`
 * names another account, or is null for no credentials at all.
 */
export async function api(baseURL, path, init = {}) {
  const { as = 'admin', ...rest } = init;
  const headers = { 'Content-Type': 'application/json', ...rest.headers };
  if (as) {
    const session = await apiSession(baseURL, as);
    headers.Cookie = session.cookie;
    if ((rest.method ?? 'GET') !== 'GET') headers['X-CSRF-Token'] = session.csrf;
  }
  const response = await fetch(new URL(`/api/v1${path}`, baseURL), { ...rest, headers });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, body, headers: response.headers };
}

/**
 * The before/after of a test file: starts the server (`server.args` added to its command line)
 * and a browser signed in as `account`, hands both to `bind` (which keeps them in the file's
 * variables), and stops both afterwards.
 */
export function browserSuite(bind, { server: serverOptions = {}, account = 'admin' } = {}) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(serverOptions);
    browser = await startBrowser(server.url, undefined, { account });
    bind({ server, browser, page: browser.page });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}
