// Plugins through the UI: a plugin's validation error on its field, a plugin action, packages
// (disable, enable, settings, statistics, uninstall, install from an uploaded file) and reports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { api, packagesPath, screenshot, startBrowser, startServer } from './harness.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer();
  browser = await startBrowser(server.url);
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a contract made in the form meets the plugin rule on its field, then is renewed by the plugin action', async () => {
  await page.goto('/records/contract/new');
  await page.locator('#root_contract_number').fill('CTR-2030-0001');
  await page.locator('#root_title').fill('Heat pump service Nordlicht');
  await page.locator('#root_customer_id').fill('nordlicht');
  await page.locator('.lookup__option').first().click();
  await page.locator('#root_status').selectOption('active');
  await page.locator('#root_start_date').fill('2030-05-01');
  await page.locator('#root_end_date').fill('2030-01-01');
  await page.locator('#root_value').fill('1200');
  assert.equal(await page.locator('#root_currency').inputValue(), 'EUR');
  await page.getByRole('button', { name: 'Save' }).click();

  // The contract-rules plugin refuses an end before the start, on the end date.
  await page.locator('#root_end_date__error').filter({ hasText: 'before it starts' }).waitFor();
  await screenshot(page, 'plugins-rule-on-field');
  await page.locator('#root_end_date').fill('2031-04-30');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Heat pump service Nordlicht', level: 1 }).waitFor();
  const id = page.url().split('/').pop();
  const customer = (await api(server.url, `/records/customer/${(await api(server.url, `/records/contract/${id}`)).body.customer_id}`)).body;
  assert.match(customer.name, /Nordlicht/);
  await page.getByRole('region', { name: 'Fields' }).getByRole('link', { name: customer.name }).waitFor();

  // The renew action: its input form checks the schema, then the plugin answers.
  await page.getByRole('button', { name: 'Renew' }).click();
  const dialog = page.getByRole('dialog', { name: 'Renew' });
  await dialog.locator('#root_months').fill('0');
  await dialog.getByRole('button', { name: 'Run renew' }).click();
  await dialog.locator('#root_months__error').waitFor();
  await dialog.locator('#root_months').fill('12');
  await dialog.getByRole('button', { name: 'Run renew' }).click();
  await dialog.getByText('Renew finished.').waitFor();
  const output = JSON.parse(await dialog.locator('pre').innerText());
  await screenshot(page, 'plugins-action-done');
  assert.equal((await api(server.url, `/records/contract/${output.renewed_contract_id}`)).status, 200);
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  assert.deepEqual(browser.consoleErrors, []);
});

test('packages are listed, disabled and enabled, configured, and show their statistics', async () => {
  await page.goto('/packages');
  const row = page.getByRole('row', { name: /contract-rules/ });
  await row.getByText('1.0.0').waitFor();
  await row.getByText('xrm', { exact: true }).waitFor();
  const signature = (await api(server.url, '/packages/contract-rules')).body.signature;
  assert.equal(signature.status, 'unsigned', 'the demo packages are not signed');
  await row.getByText('unsigned').waitFor();
  await screenshot(page, 'packages-list');
  await row.getByRole('link', { name: 'contract-rules' }).click();
  await page.getByRole('heading', { name: 'contract-rules', level: 1 }).waitFor();

  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('button', { name: 'Enable' }).waitFor();
  assert.equal((await api(server.url, '/packages/contract-rules')).body.enabled, false);
  const contract = (await api(server.url, '/records/contract?$top=1')).body.value[0];
  await page.goto(`/records/contract/${contract.id}`);
  await page.getByRole('link', { name: 'Edit' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Renew' }).count(), 0);
  await page.goto('/packages/contract-rules');
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByRole('button', { name: 'Disable' }).waitFor();
  assert.equal((await api(server.url, '/packages/contract-rules')).body.enabled, true);

  // Settings: a form from the config schema. Hosts without the settings API say so in place.
  await page.goto('/packages/complaint-sla');
  await page.getByText('Settings', { exact: true }).click();
  await page.locator('#root_config_sla_hours_high').fill('6');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings of complaint-sla saved').waitFor();
  assert.equal((await api(server.url, '/packages/complaint-sla')).body.plugins[0].settings.config.sla_hours.high, 6);

  // An edit of a complaint runs the complaint-sla hooks, which the statistics then count.
  const complaint = (await api(server.url, '/records/complaint?$top=1')).body.value[0];
  const edited = await api(server.url, `/records/complaint/${complaint.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ subject: `${complaint.subject} (checked)` }),
  });
  assert.equal(edited.status, 200);
  const stats = await api(server.url, '/packages/complaint-sla/stats');
  assert.equal(stats.status, 200);
  assert.ok(stats.body.value.length > 0, 'the hooks were counted');
  await page.reload();
  const invocations = page.getByRole('region', { name: 'Invocations' });
  await invocations.locator('table').getByText(stats.body.value[0].hook).first().waitFor();
  await screenshot(page, 'packages-detail');
  assert.deepEqual(browser.consoleErrors, []);
});

test('a package is uninstalled and installed again from an uploaded archive', async () => {
  const archive = join(mkdtempSync(join(tmpdir(), 'xrm-ui-package-')), 'complaint-sla.tar');
  execFileSync('tar', ['-cf', archive, '-C', packagesPath, 'complaint-sla']);

  await page.goto('/packages/complaint-sla');
  await page.getByRole('button', { name: 'Uninstall' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Uninstall' }).click();
  await page.getByRole('heading', { name: 'Packages', level: 1 }).waitFor();
  assert.equal((await api(server.url, '/packages/complaint-sla')).status, 404);

  await page.getByLabel('Package archive').setInputFiles(archive);
  await page.getByRole('row', { name: /complaint-sla/ }).waitFor();
  assert.equal((await api(server.url, '/packages/complaint-sla')).body.version, '1.0.0');

  // The same archive again: the host refuses a second install, and the UI explains it.
  await page.getByLabel('Package archive').setInputFiles(archive);
  await page.getByRole('alert').filter({ hasText: /installed/ }).waitFor();
  await screenshot(page, 'packages-install');
  assert.deepEqual(browser.consoleErrors, []);
});

test('reports render as a table and a chart', async () => {
  const reports = await api(server.url, '/reports');
  assert.equal(reports.status, 200);
  const report = reports.body.value.find((r) => r.name === 'contracts-expiring');
  assert.ok(report, 'contract-rules offers the contracts-expiring report');
  await page.goto('/reports');
  await page.getByRole('link', { name: report.display_name }).click();
  await page.getByRole('heading', { name: report.display_name, level: 1 }).waitFor();

  // A parameter outside its schema is shown on its field; a valid one runs the report.
  await page.locator('#root_days').fill('0');
  await page.getByRole('button', { name: 'Run report' }).click();
  await page.locator('#root_days__error').waitFor();
  await page.locator('#root_days').fill('3650');
  await page.getByRole('button', { name: 'Run report' }).click();
  const result = (await api(server.url, `/reports/${report.name}?days=3650`)).body;
  assert.ok(result.rows.length > 0, 'the demo has running contracts');
  assert.ok(result.chart, 'the report has a chart hint');
  await page.locator('.report-grid .ag-row').first().waitFor();
  await page.locator('.chart-box canvas').waitFor();
  const shown = await page.locator('.report-grid .ag-center-cols-container .ag-row').count();
  // Up to 15 rows the table grows to show them all; beyond, it scrolls (and renders what is in view).
  if (result.rows.length <= 15) assert.equal(shown, result.rows.length);
  else assert.ok(shown > 0);
  const firstCell = await page.locator('.report-grid .ag-row[row-index="0"] .ag-cell').first().innerText();
  assert.equal(firstCell, String(result.rows[0][0]));
  await screenshot(page, 'reports');
  assert.deepEqual(browser.consoleErrors, []);
});
