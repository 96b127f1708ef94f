// Records through the UI: list sort, filter, search and columns; create with a field error, edit,
// a 412 conflict re-applied, delete; related lists; the narrow layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, browserSuite, screenshot, startBrowser } from './harness.mjs';

let server;
let browser;
let page;

browserSuite((suite) => ({ server, browser, page } = suite));

const firstTitle = () => page.locator('.ag-row[row-index="0"] [col-id="name"]').innerText();
const countText = () => page.locator('.toolbar [role="status"]');

test('the customer list sorts, filters, searches and chooses columns on the server', async () => {
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
  const total = (await api(server.url, '/records/customer?$top=1&$count=true')).body.count;
  await assert.doesNotReject(countText().filter({ hasText: `${total} customers` }).waitFor());

  // Sort by annual revenue, ascending then descending, and compare with the API's order.
  const header = page.locator('.ag-header-cell[col-id="annual_revenue"] .ag-header-cell-label');
  await header.click();
  const lowest = (await api(server.url, '/records/customer?$orderby=annual_revenue&$top=1')).body.value[0].name;
  await page.locator('.ag-row[row-index="0"] [col-id="name"]', { hasText: lowest }).waitFor();
  await header.click();
  const highest = (await api(server.url, '/records/customer?$orderby=annual_revenue%20desc&$top=1')).body.value[0].name;
  await page.locator('.ag-row[row-index="0"] [col-id="name"]', { hasText: highest }).waitFor();
  assert.equal(await firstTitle(), highest);

  // Filter status = active with the choice filter.
  await page.locator('.ag-header-cell[col-id="status"] .ag-header-cell-filter-button').click();
  await page.locator('.choice-filter').getByLabel('active', { exact: true }).check();
  const active = (await api(server.url, "/records/customer?$top=1&$count=true&$filter=status%20eq%20'active'")).body.count;
  await countText().filter({ hasText: `${active} customers` }).waitFor();
  await page.keyboard.press('Escape');
  const statuses = await page.locator('.ag-center-cols-container [col-id="status"]').allInnerTexts();
  assert.ok(statuses.length > 0);
  assert.deepEqual([...new Set(statuses)], ['active']);
  await screenshot(page, 'records-list-filtered');

  // Full-text search within the filter.
  await page.getByLabel('Search Customers').fill('nordlicht');
  const found = (await api(server.url, "/records/customer?$top=1&$count=true&$search=nordlicht&$filter=status%20eq%20'active'")).body.count;
  await countText().filter({ hasText: new RegExp(`^${found} customer`) }).waitFor();

  // Show a nested column.
  await page.getByText(/^Columns/).click();
  await page.getByLabel('Billing address › City').check();
  await page.locator('.ag-header-cell[col-id="billing_address/city"]').waitFor();
  await screenshot(page, 'records-list-search-columns');

  // Sort and filter survive a visit to a record and back.
  await page.locator('.ag-row[row-index="0"] [col-id="name"] a').click();
  await page.getByRole('link', { name: 'Edit' }).waitFor();
  await page.goBack();
  await countText().filter({ hasText: `${active} customers` }).waitFor();
  assert.equal(await page.locator('.ag-header-cell[col-id="annual_revenue"]').getAttribute('aria-sort'), 'descending');
  assert.deepEqual(browser.consoleErrors, []);
});

test('a customer is created with a server error shown on its field, edited, re-applied after a 412, and deleted', async () => {
  const taken = (await api(server.url, '/records/customer?$top=1')).body.value[0].account_number;
  await page.goto('/records/customer');
  await page.getByRole('link', { name: 'New customer' }).click();
  await page.locator('#root_name').fill('Fjordlys Test AS');
  await page.locator('#root_account_number').fill(taken);
  await page.locator('#root_status').selectOption('prospect');
  await page.locator('#root_owner').fill('maria.keller');
  await page.locator('#root_billing_address_street').fill('Karl Johans gate 1');
  await page.locator('#root_billing_address_city').fill('Oslo');
  await page.locator('#root_billing_address_country').fill('NO');
  await page.locator('#root_customer_since').fill('2024-02-29');
  await page.getByRole('button', { name: 'Save' }).click();

  // The host refuses the taken account number; the error appears under that field.
  await page.locator('#root_account_number__error').waitFor();
  assert.match(await page.locator('#root_account_number__error').innerText(), /\S/);
  await screenshot(page, 'records-create-field-error');

  await page.locator('#root_account_number').fill('ACC-999001');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Fjordlys Test AS', level: 1 }).waitFor();
  const id = page.url().split('/').pop();
  const created = (await api(server.url, `/records/customer/${id}`)).body;
  assert.equal(created.account_number, 'ACC-999001');
  assert.equal(created.billing_address.city, 'Oslo');
  assert.equal(created.customer_since, '2024-02-29');

  // Edit: a plain change.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.locator('#root_tier').selectOption('gold');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Fjordlys Test AS', level: 1 }).waitFor();
  assert.equal((await api(server.url, `/records/customer/${id}`)).body.tier, 'gold');

  // Someone else writes while the form is open: the save is refused with 412 and re-applied.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.locator('#root_industry').waitFor();
  const other = await api(server.url, `/records/customer/${id}`, {
    method: 'PATCH',
    headers: { 'If-Match': '"2"' },
    body: JSON.stringify({ industry: 'energy' }),
  });
  assert.equal(other.status, 200);
  await page.locator('#root_tier').selectOption('platinum');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Someone else changed this record').waitFor();
  await screenshot(page, 'records-conflict');
  await page.getByRole('button', { name: 'Reload and re-apply my changes' }).click();
  await page.getByText('Your changes were applied to version 3').waitFor();
  assert.equal(await page.locator('#root_industry option:checked').innerText(), 'energy');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('version 4').waitFor();
  const merged = (await api(server.url, `/records/customer/${id}`)).body;
  assert.equal(merged.tier, 'platinum');
  assert.equal(merged.industry, 'energy');

  // Delete, confirmed in a dialog.
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
  assert.equal((await api(server.url, `/records/customer/${id}`)).status, 404);
  assert.deepEqual(browser.consoleErrors, []);
});

test('a customer shows its contracts and complaints as related lists', async () => {
  const contract = (await api(server.url, '/records/contract?$top=1')).body.value[0];
  const customerId = contract.customer_id;
  const contracts = (await api(server.url, `/records/customer/${customerId}/related/contract?via=customer_id&$top=1&$count=true`)).body.count;
  await page.goto(`/records/customer/${customerId}`);
  const related = page.getByRole('region', { name: /^Contracts/ });
  await related.locator('.count', { hasText: String(contracts) }).waitFor();
  await page.getByRole('region', { name: /^Complaints/ }).waitFor();
  await screenshot(page, 'records-detail-related');
  await related.getByRole('link', { name: contract.title }).first().click();
  await page.getByRole('heading', { name: contract.title, level: 1 }).waitFor();
  assert.ok(page.url().includes('/records/contract/'));
  assert.deepEqual(browser.consoleErrors, []);
});

test('scrolling a long list pages through every record by cursor', async () => {
  const total = (await api(server.url, '/records/activity?$top=1&$count=true')).body.count;
  assert.ok(total > 200, 'the demo has more activities than two pages');
  const pages = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/v1/records/activity?')) pages.push(new URL(request.url()).searchParams.get('$cursor'));
  });
  await page.goto('/records/activity');
  await page.locator('.ag-row[row-index="0"] [col-id="subject"] a').waitFor();
  const viewport = page.locator('.ag-body-viewport');
  const last = page.locator(`.ag-row[row-index="${total - 1}"]`);
  for (let i = 0; i < 20 && !(await last.count()); i++) {
    await viewport.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(300);
  }
  await last.waitFor();
  assert.equal(await page.locator(`.ag-row[row-index="${total}"]`).count(), 0);
  assert.equal(pages[0], null);
  assert.ok(pages.length >= 3 && pages.slice(1).every((cursor) => cursor), `pages fetched: ${pages.length}`);
  assert.deepEqual(browser.consoleErrors, []);
});

test('the list is usable from the keyboard: a focused row opens with Enter', async () => {
  await page.goto('/records/product');
  // The infinite row model shows a loading row first; wait for the row's data.
  await page.locator('.ag-row[row-index="0"] [col-id="name"] a').waitFor();
  const first = (await api(server.url, '/records/product?$top=1')).body.value[0];
  await page.locator('.ag-row[row-index="0"] .ag-cell').nth(1).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: first.name, level: 1 }).waitFor();
  assert.deepEqual(browser.consoleErrors, []);
});

test('the narrow layout puts the navigation in a drawer', async () => {
  const narrow = await startBrowser(server.url, { width: 390, height: 844 });
  try {
    await narrow.page.goto('/records/contract');
    await narrow.page.locator('.ag-row[row-index="0"] [col-id="title"] a').waitFor();
    await screenshot(narrow.page, 'narrow-list');
    assert.equal(await narrow.page.getByRole('navigation', { name: 'Main' }).isVisible(), false);
    await narrow.page.getByRole('button', { name: 'Menu' }).click();
    await narrow.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await narrow.page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    await narrow.page.locator('.ag-row[row-index="0"] [col-id="name"] a').waitFor();
    await narrow.page.locator('.ag-row[row-index="0"] [col-id="status"]').click();
    await narrow.page.getByRole('link', { name: 'Edit' }).waitFor();
    await screenshot(narrow.page, 'narrow-detail');
    assert.deepEqual(narrow.consoleErrors, []);
  } finally {
    await narrow.close();
  }
});
