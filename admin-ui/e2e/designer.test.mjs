// The entity-type designer: define a type with the field editor, see it in the navigation and use
// it; the raw schema editor's live checks; the host's report on records a change would invalidate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, browserSuite, screenshot } from './harness.mjs';

let server;
let browser;
let page;

browserSuite((suite) => ({ server, browser, page } = suite));

/** Adds a field through the field dialog; `fill` sets the kind-specific inputs. */
async function addField(name, kind, fill = async () => {}) {
  await page.getByRole('button', { name: 'Add field' }).click();
  const dialog = page.getByRole('dialog', { name: 'New field' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Type', { exact: true }).selectOption({ label: kind });
  await fill(dialog);
  await dialog.getByRole('button', { name: 'Add field' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

test('a type defined in the designer appears in the navigation and takes records', async () => {
  await page.goto('/types');
  await page.getByRole('link', { name: 'New entity type' }).click();
  await page.getByLabel('Display name').fill('Towing request');
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'towing_request');

  await addField('fine', 'Number', async (dialog) => {
    await dialog.getByLabel('Minimum', { exact: true }).fill('0');
    await dialog.getByLabel('Maximum', { exact: true }).fill('1000');
    await dialog.getByLabel('Required').check();
    await dialog.getByLabel(/Indexed/).check();
  });
  await addField('status', 'Choice (enum)', async (dialog) => {
    await dialog.getByLabel('Values, one per line').fill('issued\npaid\ncancelled');
    await dialog.getByLabel('Default').selectOption('issued');
    await dialog.getByLabel('Required').check();
  });
  await addField('issued_on', 'Text', async (dialog) => {
    await dialog.getByLabel('Format').selectOption('date');
    await dialog.getByLabel('Label').fill('Issued on');
  });
  await addField('owner_id', 'Lookup (another record)', async (dialog) => {
    await dialog.getByLabel('Target type').selectOption('contact');
    await dialog.getByLabel('When the target is deleted').selectOption('set_null');
  });
  await addField('ticket', 'Text', async (dialog) => {
    await dialog.getByLabel('Unique').check();
    await dialog.getByLabel('Other JSON Schema keywords').fill('{"pattern": "^PV-[0-9]+$"}');
  });

  // State transitions: issued → paid or cancelled, nothing after; new records start as issued.
  await page.getByLabel('State field').selectOption('status');
  await page.getByLabel('paid may move to issued').uncheck();
  await page.getByLabel('paid may move to cancelled').uncheck();
  await page.getByLabel('cancelled may move to issued').uncheck();
  await page.getByLabel('cancelled may move to paid').uncheck();
  await page.getByLabel('a new record may start as issued').check();
  await screenshot(page, 'designer-new-type');

  await page.getByRole('button', { name: 'Create type' }).click();
  await page.getByText('Version 1 · towing_request').waitFor();
  const { body: type } = await api(server.url, '/entity-types/towing_request');
  assert.deepEqual(type.schema.properties.fine, { type: 'number', minimum: 0, maximum: 1000 });
  assert.deepEqual(type.schema.properties.issued_on, { type: 'string', format: 'date', title: 'Issued on' });
  assert.deepEqual(type.schema.required, ['name', 'fine', 'status']);
  assert.deepEqual(type.schema['x-xrm'].lookups, { owner_id: { target: 'contact', on_delete: 'set_null' } });
  assert.deepEqual(type.schema['x-xrm'].unique, ['ticket']);
  assert.deepEqual(type.schema['x-xrm'].state_machine, {
    field: 'status',
    initial: ['issued'],
    transitions: { issued: ['paid', 'cancelled'], paid: [], cancelled: [] },
  });

  // The navigation lists it; its list is empty; a record is created through its generated form.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Towing requests' }).click();
  await page.getByText('No towing requests to show').waitFor();
  await page.getByRole('link', { name: 'New towing request' }).click();
  await page.locator('#root_status').waitFor();
  const states = await page.locator('#root_status option').evaluateAll((options) => options.map((o) => o.textContent));
  assert.deepEqual(states.filter(Boolean), ['issued']);
  await page.locator('#root_name').fill('Illegal parking at Storgata 1');
  await page.locator('#root_fine').fill('2000');
  await page.getByRole('button', { name: 'Save' }).click();
  // The browser checks the schema first: the error is on the field.
  await page.locator('#root_fine__error').waitFor();
  await page.locator('#root_fine').fill('120');
  await page.locator('#root_issued_on').fill('2025-06-01');
  await page.locator('#root_owner_id').fill('schneider');
  await page.locator('.lookup__option').first().click();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Illegal parking at Storgata 1', level: 1 }).waitFor();
  const { body: list } = await api(server.url, '/records/towing_request');
  assert.equal(list.value.length, 1);
  assert.equal(list.value[0].status, 'issued');
  assert.equal(list.value[0].fine, 120);
  assert.match(list.value[0].owner_id, /^[0-9a-f-]{36}$/);
  await screenshot(page, 'designer-first-record');
  assert.deepEqual(browser.consoleErrors, []);
});

test('the raw schema editor checks as one types', async () => {
  await page.goto('/types/towing_request');
  await page.getByRole('tab', { name: 'JSON Schema' }).click();
  await page.getByText('Valid', { exact: true }).waitFor();
  await page.locator('.cm-content').fill('{"type": "object", "properties": {"a": {"type": "strin"}}, "x-xrm": {"name": "x", "display_name": "X", "title_field": "b", "indexes": []}}');
  await page.getByTestId('schema-status').filter({ hasText: /problems?$/ }).waitFor();
  await page.locator('.cm-lintRange-error').first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save changes' }).isDisabled(), true);
  await screenshot(page, 'designer-raw-editor');
  assert.deepEqual(browser.consoleErrors, []);
});

test('a change that stored records violate shows the host report, and can be saved anyway', async () => {
  await page.goto('/types/towing_request');
  await addField('plate', 'Text', async (dialog) => {
    await dialog.getByLabel('Required').check();
  });
  await page.getByRole('button', { name: 'Save changes' }).click();
  const report = page.getByRole('alert').filter({ hasText: '1 of 1 stored records would be invalid' });
  await report.waitFor();
  await report.getByText("'plate' is required").waitFor();
  await screenshot(page, 'designer-invalid-records-report');
  assert.equal((await api(server.url, '/entity-types/towing_request')).body.version, 1);
  await report.getByRole('button', { name: 'Save anyway' }).click();
  await page.getByText('Version 2 · towing_request').waitFor();
  assert.ok((await api(server.url, '/entity-types/towing_request')).body.schema.required.includes('plate'));
  assert.deepEqual(browser.consoleErrors, []);
});
