// Plugins through the UI: a plugin's validation error on its field, a plugin action, packages
// (disable, enable, settings, statistics, schedules, uninstall, install from an uploaded file),
// reports, plugin deliveries (dead letters retried and discarded) and trusted publishers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, browserSuite, packagesPath, screenshot, testPackagesPath } from './harness.mjs';

let server;
let browser;
let page;

// One attempt per delivery, so a failing one is a dead letter at once.
browserSuite((suite) => ({ server, browser, page } = suite), { server: { args: ['--job-max-attempts', '1'] } });

/** Polls `check` until it answers something truthy, for at most `seconds`. */
async function eventually(what, check, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

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
  await row.getByText('1.1.0').waitFor();
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
  assert.equal((await api(server.url, '/packages/complaint-sla')).body.version, '1.1.0');
  // Its complaint type stayed through the uninstall and is managed again.
  assert.deepEqual((await api(server.url, '/packages/complaint-sla')).body.entity_types.map((t) => t.name), ['complaint']);

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

test('a package shows its schedules with the next due time, and runs one now', async () => {
  await page.goto('/packages/complaint-sla');
  const schedules = page.getByRole('region', { name: 'Schedules' });
  const row = schedules.getByRole('row', { name: /escalate-overdue/ });
  await row.getByText('*/5 * * * *').waitFor();
  const listed = (await api(server.url, '/packages/complaint-sla/schedules')).body.value;
  assert.equal(listed.length, 1);
  assert.ok(listed[0].next_due, 'the schedule is due some time');
  assert.equal(await row.getByText('—').count(), 0, 'the next due time is shown');
  await row.getByRole('button', { name: 'Run now' }).click();
  await page.getByText('escalate-overdue is queued to run now').waitFor();
  // The firing is delivered like any other: the statistics count the schedule hook.
  await eventually('the schedule to run', async () => {
    const stats = (await api(server.url, '/packages/complaint-sla/stats')).body.value;
    return stats.some((s) => s.hook.startsWith('schedule') && s.invocations > 0);
  });
  await screenshot(page, 'packages-schedules');
  assert.deepEqual(browser.consoleErrors, []);
});

test('a dead delivery shows its error and attempts, is retried, and another is discarded', async () => {
  // The recorder test plugin journals every change of a `watched` record and fails when told to.
  const watched = {
    type: 'object', additionalProperties: false, required: ['name'],
    properties: { name: { type: 'string' } },
    'x-xrm': { name: 'watched', display_name: 'Watched', plural_name: 'Watched', title_field: 'name' },
  };
  const journal = {
    type: 'object', additionalProperties: false, required: ['event'],
    properties: { event: { type: 'string' }, watched_id: { type: 'string' }, watched_version: { type: 'integer' }, actor: { type: 'string' }, fired_at: { type: 'string' } },
    'x-xrm': { name: 'journal_entry', display_name: 'Journal entry', plural_name: 'Journal entries', title_field: 'event' },
  };
  for (const schema of [watched, journal]) {
    assert.equal((await api(server.url, '/entity-types', { method: 'POST', body: JSON.stringify(schema) })).status, 201);
  }
  const archive = join(mkdtempSync(join(tmpdir(), 'xrm-ui-recorder-')), 'recorder.tar');
  execFileSync('tar', ['-cf', archive, '-C', testPackagesPath, 'recorder']);
  const installed = await api(server.url, '/packages', { method: 'POST', body: readFileSync(archive), headers: { 'Content-Type': 'application/x-tar' } });
  assert.equal(installed.status, 201, JSON.stringify(installed.body));
  const configure = async (fail) =>
    assert.equal((await api(server.url, '/packages/recorder/plugins/recorder/settings', { method: 'PUT', body: JSON.stringify({ config: { fail } }) })).status, 200);
  const deadFor = (id) =>
    eventually(`the delivery of ${id} to die`, async () =>
      (await api(server.url, '/plugin-jobs?status=dead&package=recorder')).body.value.find((job) => job.event?.id === id));

  await configure('always');
  const first = (await api(server.url, '/records/watched', { method: 'POST', body: JSON.stringify({ name: 'first' }) })).body;
  const firstJob = await deadFor(first.id);

  await page.goto('/plugin-jobs');
  await page.getByRole('heading', { name: 'Plugin deliveries', level: 1 }).waitFor();
  const row = page.getByRole('row', { name: new RegExp(`watched ${first.id} created`) });
  await row.getByText('configured to fail').waitFor();
  await row.getByText('dead', { exact: true }).waitFor();
  assert.equal((await row.locator('td.number').innerText()).trim(), String(firstJob.attempts));
  await row.getByRole('button', { name: 'Event' }).click();
  await page.locator('pre').filter({ hasText: first.id }).waitFor();
  await screenshot(page, 'plugin-jobs-dead');

  // Retry after the fault is fixed: the delivery goes back and the plugin journals the record.
  await configure('never');
  await row.getByRole('button', { name: 'Retry' }).click();
  await page.getByText('The delivery is queued again').waitFor();
  await eventually('the retried delivery to succeed', async () =>
    (await api(server.url, `/records/journal_entry?$filter=watched_id%20eq%20'${first.id}'`)).body.value.length > 0);
  await row.waitFor({ state: 'detached' });

  // Discard another dead one: it is gone for good.
  await configure('always');
  const second = (await api(server.url, '/records/watched', { method: 'POST', body: JSON.stringify({ name: 'second' }) })).body;
  const secondJob = await deadFor(second.id);
  await page.reload();
  const secondRow = page.getByRole('row', { name: new RegExp(`watched ${second.id} created`) });
  await secondRow.getByRole('button', { name: 'Discard' }).click();
  await page.getByRole('dialog', { name: 'Discard the delivery' }).getByRole('button', { name: 'Discard' }).click();
  await secondRow.waitFor({ state: 'detached' });
  assert.equal((await api(server.url, `/plugin-jobs/${secondJob.id}`)).status, 404);
  await configure('never');
  assert.deepEqual(browser.consoleErrors, []);
});

test('a trusted publisher is added, a malformed key refused, and the publisher removed', async () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  await page.goto('/trusted-publishers');
  await page.getByRole('heading', { name: 'Trusted publishers', level: 1 }).waitFor();

  await page.getByLabel('Name').fill('Broken Keys Ltd');
  await page.getByLabel('Public key (base64)').fill('not-a-key');
  await page.getByRole('button', { name: 'Trust' }).click();
  await page.getByRole('alert').filter({ hasText: 'the publisher is not valid' }).waitFor();
  await page.getByText(/the public key is not base64/).waitFor();

  await page.getByLabel('Name').fill('Acme Plugins');
  await page.getByLabel('Public key (base64)').fill(raw);
  await page.getByRole('button', { name: 'Trust' }).click();
  const row = page.getByRole('row', { name: /Acme Plugins/ });
  await row.getByText(raw).waitFor();
  const trusted = (await api(server.url, '/trusted-publishers')).body.value;
  assert.deepEqual(trusted.map((p) => [p.name, p.public_key]), [['Acme Plugins', raw]]);
  await screenshot(page, 'trusted-publishers');

  await row.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await row.waitFor({ state: 'detached' });
  assert.deepEqual((await api(server.url, '/trusted-publishers')).body.value, []);
  assert.deepEqual(browser.consoleErrors, []);
});

test('a package is installed with its sample data and shows the entity types it manages', async () => {
  const archive = join(mkdtempSync(join(tmpdir(), 'xrm-ui-package-')), 'contract-rules.tar');
  execFileSync('tar', ['-cf', archive, '-C', packagesPath, 'contract-rules']);
  assert.equal((await api(server.url, '/packages/contract-rules', { method: 'DELETE' })).status, 204);
  const sampleContract = '/records/contract?$filter=' + encodeURIComponent("contract_number eq 'CTR-2090-0001'");
  assert.equal((await api(server.url, sampleContract)).body.value.length, 0, 'no sample data before');

  await page.goto('/packages');
  await page.getByLabel("Also load the package's sample data").check();
  await page.getByLabel('Package archive').setInputFiles(archive);
  await page.getByText('contract-rules 1.1.0 installed with its sample data').waitFor();
  assert.equal((await api(server.url, sampleContract)).body.value.length, 1, 'the sample contract was loaded');

  await page.goto('/packages/contract-rules');
  const facts = page.getByRole('region', { name: 'Package' });
  await facts.getByRole('link', { name: 'customer' }).waitFor();
  await facts.getByRole('link', { name: 'contract' }).waitFor();
  await facts.getByText('ships sample data').waitFor();
  await facts.getByText('by Demo Admin').waitFor();
  await screenshot(page, 'packages-entity-types');
  await facts.getByRole('link', { name: 'contract' }).click();
  await page.waitForURL(/\/types\/contract$/);
  assert.deepEqual(browser.consoleErrors, []);
});
