// Sign-in and what each role sees (docs/security.md): a refused and a throttled sign-in, the
// return to the page wanted, sign-out, a viewer without create/edit buttons or admin screens, an
// admin making a role and a user who then signs in, an API token shown once, and a record's
// history showing an edit made here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCOUNTS, api, browserSuite, screenshot, signInThroughPage, startBrowser } from './harness.mjs';

let server;
let browser;
let page;

browserSuite((suite) => ({ server, browser, page } = suite));

/** A fresh browser as `account` (null: signed out); closed, and its console checked, after `use`. */
async function withBrowser(account, use) {
  const other = await startBrowser(server.url, undefined, { account });
  try {
    await use(other.page);
    assert.deepEqual(other.consoleErrors, []);
  } finally {
    await other.close();
  }
}

const nav = (p) => p.getByRole('navigation', { name: 'Main' });

test('the host requires sign-in', async () => {
  const session = await api(server.url, '/auth/session', { as: null });
  assert.equal(session.status, 401, 'GET /auth/session without a session answers 401');
  assert.equal(session.body.code, 'unauthenticated');
  assert.equal((await api(server.url, '/records/customer', { as: null })).status, 401);
});

test('a wrong password is refused, a throttled account told how long to wait, and sign-in returns to the page wanted', async () => {
  // An account of its own, so the throttle locks nobody else.
  const email = 'locked@demo.xrm';
  const made = await api(server.url, '/users', {
    method: 'POST',
    body: JSON.stringify({ email, display_name: 'Locked Out', password: 'right-password', role: 'member' }),
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));

  await withBrowser(null, async (p) => {
    await p.goto('/records/customer');
    await p.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    assert.match(p.url(), /\/login\?next=%2Frecords%2Fcustomer$/);
    assert.equal(await p.getByLabel('Workspace').inputValue(), 'default');

    await p.getByLabel('E-mail').fill(email);
    await p.getByLabel('Password').fill('wrong-password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'The workspace, e-mail or password is not right' }).waitFor();
    await screenshot(p, 'login-refused');

    // Five failures lock the account for a second, each further one twice as long: fail on until
    // the lock is long enough for the form to meet it.
    let throttled;
    for (let i = 0; i < 12; i++) {
      const answer = await api(server.url, '/auth/login', { as: null, method: 'POST', body: JSON.stringify({ workspace: 'default', email, password: 'wrong-again' }) });
      if (answer.status === 429) {
        throttled = answer;
        const wait = Number(answer.headers.get('retry-after'));
        assert.equal(answer.body.code, 'too_many_attempts');
        assert.ok(wait >= 1, 'Retry-After names the wait');
        if (wait >= 4) break;
        await new Promise((r) => setTimeout(r, wait * 1000 + 100));
      } else {
        assert.equal(answer.status, 401);
      }
    }
    assert.ok(throttled, 'the account is throttled after five failures');
    await p.getByLabel('Password').fill('wrong-password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: /Too many failed sign-ins\. Try again in \d+ (second|minute)/ }).waitFor();
    await screenshot(p, 'login-throttled');

    // The right password for the demo rep: back to the customers.
    await p.getByLabel('E-mail').fill(ACCOUNTS.rep.email);
    await p.getByLabel('Password').fill(ACCOUNTS.rep.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    assert.match(p.url(), /\/records\/customer$/);
    assert.equal(await p.evaluate(() => localStorage.getItem('xrm.workspace')), 'default');
  });
  assert.deepEqual(browser.consoleErrors, []);
});

test('signing out ends the session', async () => {
  await withBrowser('rep', async (p) => {
    await p.goto('/');
    await p.locator('.user-menu-button').click();
    await p.getByRole('menuitem', { name: 'Sign out' }).click();
    await p.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    const session = await p.context().request.get(new URL('/api/v1/auth/session', server.url).href);
    assert.equal(session.status(), 401);
    await p.goto('/records/customer');
    await p.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  });
});

test('a viewer sees no create or edit buttons and no admin screens', async () => {
  const customer = (await api(server.url, '/records/customer?$top=1')).body.value[0];
  await withBrowser('viewer', async (p) => {
    await p.goto('/records/customer');
    await p.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    await p.locator('.ag-row[row-index="0"]').waitFor();
    assert.equal(await p.getByRole('link', { name: /^New / }).count(), 0);
    for (const link of ['Entity types', 'Packages', 'Users', 'Roles', 'API tokens', 'Audit log', 'Workspaces', 'Plugin deliveries']) {
      assert.equal(await nav(p).getByRole('link', { name: link }).count(), 0, `${link} is not in the viewer's navigation`);
    }
    await nav(p).getByRole('link', { name: 'Reports' }).waitFor();
    await screenshot(p, 'viewer-list');

    await p.goto(`/records/customer/${customer.id}`);
    await p.getByRole('region', { name: 'Fields' }).waitFor();
    for (const name of ['Edit', 'Delete', 'Assign']) {
      assert.equal(await p.getByRole('main').getByRole('link', { name, exact: true }).count(), 0, `no ${name} link`);
      assert.equal(await p.getByRole('main').getByRole('button', { name, exact: true }).count(), 0, `no ${name} button`);
    }
    await screenshot(p, 'viewer-detail');

    await p.goto('/admin/users');
    await p.getByRole('heading', { name: 'Not allowed', level: 1 }).waitFor();
  });
});

test('an admin makes a role and a user, who then signs in with it', async () => {
  await page.goto('/admin/roles');
  await page.getByRole('link', { name: 'New role' }).click();
  await page.getByLabel('Name', { exact: true }).fill('auditor');
  await page.getByLabel('Description').fill('Reads everything and the audit trail');
  await page.getByLabel(/Audit: read the audit trail/).check();
  await page.getByLabel('Read every type').selectOption('workspace');
  await page.locator('#add-type').selectOption('customer');
  await page.getByLabel('Read customer').selectOption('own');
  await screenshot(page, 'admin-role-editor');
  await page.getByRole('button', { name: 'Save role' }).click();
  await page.getByRole('link', { name: 'auditor' }).waitFor();
  const role = (await api(server.url, '/roles/auditor')).body;
  assert.equal(role.description, 'Reads everything and the audit trail');
  assert.equal(role.permissions.audit, true);
  assert.equal(role.permissions.admin, false);
  assert.equal(role.permissions.types['*'].read, 'workspace');
  assert.equal(role.permissions.types['*'].create, false);
  assert.deepEqual(role.permissions.types.customer, { read: 'own' });

  await page.goto('/admin/users');
  await page.getByRole('button', { name: 'New user' }).click();
  const dialog = page.getByRole('dialog', { name: 'New user' });
  await dialog.getByLabel('E-mail').fill('ada@demo.xrm');
  await dialog.getByLabel('Display name').fill('Ada Auditor');
  await dialog.getByLabel('Password').fill('ada-secret-1');
  await dialog.getByLabel('Role').selectOption('auditor');
  await dialog.getByRole('button', { name: 'Create user' }).click();
  const row = page.getByRole('row', { name: /ada@demo\.xrm/ });
  await row.getByText('auditor', { exact: true }).waitFor();
  await screenshot(page, 'admin-users');

  await withBrowser(null, async (p) => {
    await signInThroughPage(p, { email: 'ada@demo.xrm', password: 'ada-secret-1' });
    await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await p.locator('.user-menu-button').getByText('Ada Auditor').waitFor();
    await nav(p).getByRole('link', { name: 'Audit log' }).waitFor();
    assert.equal(await nav(p).getByRole('link', { name: 'Users' }).count(), 0);
  });

  // The admin disables her: she can no longer sign in.
  await row.getByRole('button', { name: 'Edit ada@demo.xrm' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit ada@demo.xrm' });
  await edit.getByLabel(/Disabled/).check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await row.getByText('disabled').waitFor();
  const refused = await api(server.url, '/auth/login', { as: null, method: 'POST', body: JSON.stringify({ workspace: 'default', email: 'ada@demo.xrm', password: 'ada-secret-1' }) });
  assert.equal(refused.status, 401);
  assert.deepEqual(browser.consoleErrors, []);
});

test('an API token is shown once, works as a bearer token, and is revoked', async () => {
  await page.goto('/admin/tokens');
  await page.getByLabel('Name').fill('ERP sync');
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByLabel('Expires in').selectOption('30');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('token-secret').innerText()).trim();
  assert.match(secret, /^xrm_/);
  await screenshot(page, 'admin-token-created');
  const bearer = (path) => fetch(new URL(`/api/v1${path}`, server.url), { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal((await bearer('/records/customer?$top=1')).status, 200);

  await page.getByRole('button', { name: 'Done' }).click();
  await page.reload();
  const row = page.getByRole('row', { name: /ERP sync/ });
  await row.getByText('active').waitFor();
  assert.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again');
  const listed = (await api(server.url, '/tokens')).body.value.find((t) => t.name === 'ERP sync');
  assert.equal(listed.token, undefined, 'the list never carries the secret');

  await row.getByRole('button', { name: 'Revoke ERP sync' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await row.getByText('revoked').waitFor();
  assert.equal((await bearer('/records/customer?$top=1')).status, 401);
  assert.deepEqual(browser.consoleErrors, []);
});

test('a record’s history shows an edit made here, and the audit log lists it', async () => {
  const customer = (await api(server.url, '/records/customer?$top=1&$orderby=name')).body.value[0];
  await page.goto(`/records/customer/${customer.id}`);
  const system = page.getByRole('complementary', { name: 'System information' });
  await system.getByText('Owned by').waitFor();
  await system.getByText(/\(you\)|admin@demo\.xrm|nobody/).first().waitFor();
  await page.getByRole('link', { name: 'Edit' }).click();
  const tier = customer.tier === 'gold' ? 'silver' : 'gold';
  await page.locator('#root_tier').selectOption(tier);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('region', { name: 'Fields' }).waitFor();

  await page.getByRole('tab', { name: 'History' }).click();
  const history = page.getByRole('region', { name: 'History' });
  const entry = history.getByRole('article').first();
  await entry.getByText('record.update').waitFor();
  await entry.getByText(`by ${ACCOUNTS.admin.email}`).waitFor();
  const change = entry.getByRole('row', { name: /tier/ });
  await change.locator('td.before').filter({ hasText: customer.tier ?? '—' }).waitFor();
  await change.locator('td.after').filter({ hasText: tier }).waitFor();
  await screenshot(page, 'record-history');

  await page.goto('/admin/audit');
  await page.getByLabel('Subject id').fill(customer.id);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('region', { name: 'Audit entries' }).getByRole('article').first().getByText('record.update').waitFor();
  await screenshot(page, 'audit-log');
  assert.deepEqual(browser.consoleErrors, []);
});

test('an admin makes a team and assigns a record to a member and the team', async () => {
  await page.goto('/admin/teams');
  await page.getByRole('button', { name: 'New team' }).click();
  const dialog = page.getByRole('dialog', { name: 'New team' });
  await dialog.getByLabel('Name').fill('Field service');
  await dialog.getByLabel('Demo Rep').check();
  await dialog.getByRole('button', { name: 'Save team' }).click();
  await page.getByRole('row', { name: /Field service/ }).getByText('Demo Rep').waitFor();
  const team = (await api(server.url, '/teams')).body.value.find((t) => t.name === 'Field service');
  const rep = (await api(server.url, '/users')).body.value.find((u) => u.email === ACCOUNTS.rep.email);
  assert.deepEqual(team.members, [rep.id]);

  const complaint = (await api(server.url, '/records/complaint?$top=1')).body.value[0];
  await page.goto(`/records/complaint/${complaint.id}`);
  await page.getByRole('button', { name: 'Assign' }).click();
  const assign = page.getByRole('dialog', { name: 'Assign' });
  await assign.getByLabel('Owner').selectOption(rep.id);
  await assign.getByLabel('Team').selectOption(team.id);
  await assign.getByRole('button', { name: 'Assign' }).click();
  const system = page.getByRole('complementary', { name: 'System information' });
  await system.getByText('Demo Rep').waitFor();
  await system.getByText('Field service').waitFor();
  const assigned = (await api(server.url, `/records/complaint/${complaint.id}`)).body;
  assert.equal(assigned.owned_by, rep.id);
  assert.equal(assigned.owning_team, team.id);
  await screenshot(page, 'record-assigned');
  // A viewer, who may not list users, sees the owner by name through the member directory.
  await withBrowser('viewer', async (p) => {
    await p.goto(`/records/complaint/${complaint.id}`);
    const info = p.getByRole('complementary', { name: 'System information' });
    await info.getByText('Demo Rep').waitFor();
    await info.getByText('Field service').waitFor();
  });
  assert.deepEqual(browser.consoleErrors, []);
});

test('a user changes their password from the user menu and signs in with the new one', async () => {
  const made = await api(server.url, '/users', {
    method: 'POST',
    body: JSON.stringify({ email: 'pat@demo.xrm', display_name: 'Pat', password: 'first-password', role: 'member' }),
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  await withBrowser(null, async (p) => {
    await signInThroughPage(p, { email: 'pat@demo.xrm', password: 'first-password' });
    await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await p.locator('.user-menu-button').click();
    await p.getByRole('menuitem', { name: 'Change password' }).click();
    const dialog = p.getByRole('dialog', { name: 'Change password' });
    await dialog.getByLabel('Current password').fill('first-password');
    await dialog.getByLabel('New password', { exact: true }).fill('second-password');
    await dialog.getByLabel('New password again').fill('second-password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await p.getByText('Password changed').waitFor();
    await p.locator('.user-menu-button').click();
    await p.getByRole('menuitem', { name: 'Sign out' }).click();
    await p.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await signInThroughPage(p, { email: 'pat@demo.xrm', password: 'second-password' });
    await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });
  const old = await api(server.url, '/auth/login', { as: null, method: 'POST', body: JSON.stringify({ workspace: 'default', email: 'pat@demo.xrm', password: 'first-password' }) });
  assert.equal(old.status, 401);
});

test('an instance admin makes a workspace whose admin signs in to it, then removes it', async () => {
  await page.goto('/admin/workspaces');
  await page.getByRole('row', { name: /default/ }).getByText('yours').waitFor();
  await page.getByLabel('Id').fill('acme');
  await page.getByLabel('Name', { exact: true }).fill('Acme Ltd');
  await page.getByLabel("First admin's e-mail").fill('boss@acme.example');
  await page.getByLabel("First admin's name").fill('Acme Boss');
  await page.getByLabel("First admin's password").fill('acme-secret-1');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  const row = page.getByRole('row', { name: /acme/ });
  await row.getByText('Acme Ltd').waitFor();
  await screenshot(page, 'admin-workspaces');

  await withBrowser(null, async (p) => {
    await signInThroughPage(p, { workspace: 'acme', email: 'boss@acme.example', password: 'acme-secret-1' });
    await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await p.locator('.user-menu-button').getByText(/Acme Ltd/).waitFor();
    // A new workspace starts empty: none of the default workspace's types or records.
    await p.getByRole('main').getByText('No entity types yet').waitFor();
    assert.equal(await p.evaluate(() => localStorage.getItem('xrm.workspace')), 'acme');
  });

  await row.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove everything' }).click();
  await row.waitFor({ state: 'detached' });
  assert.ok(!(await api(server.url, '/workspaces')).body.value.some((w) => w.id === 'acme'));
  assert.deepEqual(browser.consoleErrors, []);
});

test('a role’s hidden and read-only fields: the form leaves out one and locks the other, and saves', async () => {
  const permissions = {
    admin: false, audit: false, reports: false,
    types: { '*': { create: true, read: 'workspace', update: 'workspace', delete: 'none', actions: 'none' }, customer: { fields: { annual_revenue: 'hidden', credit_limit: 'read_only' } } },
  };
  assert.equal((await api(server.url, '/roles', { method: 'POST', body: JSON.stringify({ name: 'clerk', description: 'Edits customers, not their money', permissions }) })).status, 201);
  assert.equal((await api(server.url, '/users', { method: 'POST', body: JSON.stringify({ email: 'clerk@demo.xrm', display_name: 'Clerk', password: 'clerk-secret-1', role: 'clerk' }) })).status, 201);
  const customer = (await api(server.url, '/records/customer?$top=1&$orderby=name%20desc')).body.value[0];
  assert.ok(customer.annual_revenue !== undefined && customer.credit_limit !== undefined, 'the demo customer has both fields');

  await withBrowser(null, async (p) => {
    await signInThroughPage(p, { email: 'clerk@demo.xrm', password: 'clerk-secret-1' });
    await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await p.goto(`/records/customer/${customer.id}`);
    await p.getByRole('region', { name: 'Fields' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Delete', exact: true }).count(), 0);
    await p.getByRole('link', { name: 'Edit', exact: true }).click();
    await p.locator('#root_tier').waitFor();
    assert.equal(await p.locator('#root_annual_revenue').count(), 0, 'the hidden field is not in the form');
    assert.equal(await p.locator('#root_credit_limit').isEditable(), false, 'the read-only field cannot be typed in');
    await p.locator('#root_industry').selectOption(customer.industry === 'retail' ? 'energy' : 'retail');
    await screenshot(p, 'restricted-form');
    await p.getByRole('button', { name: 'Save' }).click();
    await p.getByRole('region', { name: 'Fields' }).waitFor();
  });
  const saved = (await api(server.url, `/records/customer/${customer.id}`)).body;
  assert.equal(saved.annual_revenue, customer.annual_revenue, 'the hidden field kept its value');
  assert.equal(saved.credit_limit, customer.credit_limit);
  assert.notEqual(saved.industry, customer.industry);
  assert.deepEqual(browser.consoleErrors, []);
});
