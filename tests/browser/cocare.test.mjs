// Browser tests: a real `cocare serve --demo` on a random port, Debian's chromium driven by
// playwright-core, axe-core run on every page at desktop and phone widths.
//
// COCARE_BIN names the binary (default: ../../target/debug/cocare). Screenshots go to
// tests/browser/screenshots/ for a person to look at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const bin = process.env.COCARE_BIN || join(here, '../../target/debug/cocare');
const shots = join(here, 'screenshots');
const PASSWORD = 'cocare-demo-2026';
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

let server;
let base;
let browser;
let dataDir;

before(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'cocare-browser-'));
  server = spawn(bin, ['serve', '--demo', '--bind', '127.0.0.1:0', '--database-url', `sqlite://${join(dataDir, 'cocare.sqlite3')}`], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`cocare did not start: ${seen}`)), 60_000);
    server.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/serving on (http:\/\/[0-9.:]+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    server.on('exit', (code) => reject(new Error(`cocare exited with ${code}: ${seen}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Runs axe-core (WCAG 2.0–2.2 A and AA) on the page and fails listing every violation. */
async function assertAccessible(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  }));
  const problems = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(problems, [], `${label}: axe found violations`);
}

/** Looks at the page at desktop and phone width: axe clean at both, nothing wider than the phone. */
async function check(page, name) {
  await page.setViewportSize(DESKTOP);
  await assertAccessible(page, `${name} (desktop)`);
  await page.screenshot({ path: join(shots, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await assertAccessible(page, `${name} (phone)`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than a phone screen`);
  await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function signIn(username) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
  return { context, page };
}

test('the sign-in page is accessible and a wrong password shows an error summary linked to the field', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/login\?next=%2F$/);
  await check(page, 'login');
  await page.getByLabel('Username').fill('alex');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const summary = page.getByRole('alert');
  await summary.waitFor();
  assert.match(await summary.innerText(), /username or password is not right/);
  assert.equal(await page.getByLabel('Username').inputValue(), 'alex', 'what was typed is kept');
  await check(page, 'login-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'username', 'the summary link moves focus to the field');
  await context.close();
});

test('keyboard users reach a visible skip link first', async () => {
  const { context, page } = await signIn('alex');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({ text: document.activeElement.textContent, left: document.activeElement.getBoundingClientRect().left }));
  assert.equal(focused.text, 'Skip to main content');
  assert.ok(focused.left >= 0, 'the focused skip link is on screen');
  await context.close();
});

test('a clinician sees their team caseload and a record with its consent choices', async () => {
  const { context, page } = await signIn('alex');
  assert.match(await page.locator('h1').innerText(), /Welcome, Alex Morgan/);
  await check(page, 'home-clinician');
  assert.equal(await page.getByRole('link', { name: 'Administration' }).count(), 0, 'no administration for clinicians');
  await page.getByRole('link', { name: 'Your caseload' }).click();
  await page.waitForURL(`${base}/people`);
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 12, 'the North team caseload');
  await check(page, 'caseload');
  await page.getByRole('link', { name: /^Sam / }).click();
  await page.getByRole('heading', { name: 'Consent choices' }).waitFor();
  await check(page, 'person-clinician');
  await context.close();
});

test('a service user sees only their own record, records a consent choice and fixes a mistake', async () => {
  const { context, page } = await signIn('sam');
  await check(page, 'home-service-user');
  await page.getByRole('link', { name: 'Your record and consent choices' }).click();
  await page.getByRole('heading', { name: 'Choose what to share' }).waitFor();
  // A mistake first: research chosen, nothing ticked.
  await page.getByLabel('Who may see it').selectOption('research');
  await page.getByLabel('In your own words (optional)').fill('Only without my name, please.');
  await page.getByRole('button', { name: 'Record consent' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByLabel('In your own words (optional)').inputValue(), 'Only without my name, please.');
  await check(page, 'consent-error');
  await page.getByLabel('My records, with my name and details removed').check();
  await page.getByRole('button', { name: 'Record consent' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').innerText(), /Consent recorded/);
  assert.match(await page.locator('.consents').innerText(), /Only without my name, please/);
  await check(page, 'person-service-user');
  // Nobody else's record, and no administration.
  const response = await page.goto(`${base}/admin`);
  assert.equal(response.status(), 403);
  await check(page, 'forbidden');
  await page.goto(`${base}/people`);
  assert.equal(await page.locator('tbody tr').count(), 1);
  await context.close();
});

test('a carer sees what is shared with them and not the consent settings', async () => {
  const { context, page } = await signIn('casey');
  await page.getByRole('link', { name: 'People who share with you' }).first().click();
  await page.locator('tbody tr th a').first().click();
  await page.getByRole('heading', { name: /shares with you/ }).waitFor();
  assert.equal(await page.getByText('Date of birth').count(), 0, 'a carer does not see the clinical record');
  assert.equal(await page.getByRole('heading', { name: 'Consent choices' }).count(), 0);
  await check(page, 'person-carer');
  await context.close();
});

test('an administrator manages accounts and reads the audit log', async () => {
  const { context, page } = await signIn('admin');
  await page.getByRole('link', { name: 'Organisations, teams and accounts' }).click();
  await page.getByRole('heading', { name: 'Administration' }).waitFor();
  await check(page, 'admin');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill('nia');
  await page.getByLabel('Role').selectOption('clinician');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), 'nia', 'what was typed is kept');
  await check(page, 'account-error');
  await page.goto(`${base}/admin/audit`);
  assert.ok(await page.locator('tbody tr').count() > 10);
  await check(page, 'audit');
  await context.close();
});

test('a care plan is written and agreed together, and every plan page is accessible', async () => {
  const sam = await signIn('sam');
  await sam.page.getByRole('link', { name: 'My care plan' }).click();
  await sam.page.getByRole('heading', { name: 'My care plan', level: 1 }).waitFor();
  const planUrl = sam.page.url();
  await check(sam.page, 'plan-service-user');
  const section = sam.page.locator('#what_does_not_help');
  await section.getByText('Write or change my words').click();
  await section.getByLabel('In my own words').fill('Being rushed out of the door.');
  await section.getByRole('button', { name: /Save/ }).click();
  await sam.page.getByRole('status').waitFor();
  assert.match(await sam.page.locator('#what_does_not_help').innerText(), /Being rushed out of the door\./);
  const strengths = sam.page.locator('#strengths');
  await strengths.getByText('Agree or disagree').click();
  await strengths.getByLabel('I agree').check();
  await strengths.getByRole('button', { name: /Record my view/ }).click();
  await sam.page.getByRole('status').waitFor();
  assert.match(await sam.page.locator('#strengths').innerText(), /You agree/);
  // A disagreement without a reason is refused, with the reason box named.
  const about = sam.page.locator('#about_me');
  await about.getByText('Agree or disagree').click();
  await about.getByLabel('I disagree').check();
  await about.getByRole('button', { name: /Record my view/ }).click();
  await sam.page.getByRole('alert').waitFor();
  await check(sam.page, 'plan-error');
  // Questionnaires: a form with every question as a labelled group, scored when saved.
  await sam.page.goto(planUrl);
  await sam.page.getByRole('link', { name: 'Questionnaires' }).click();
  await sam.page.getByRole('link', { name: /GAD-7/ }).click();
  await sam.page.getByRole('heading', { name: /GAD-7/, level: 1 }).waitFor();
  await check(sam.page, 'measure-form');
  for (let item = 1; item <= 7; item += 1) {
    await sam.page.getByRole('group', { name: new RegExp(`^${item}\\. `) }).getByLabel('Several days').check();
  }
  await sam.page.getByRole('button', { name: 'Save my answers' }).click();
  await sam.page.getByRole('status').waitFor();
  assert.match(await sam.page.getByRole('status').innerText(), /7 of 21 \(mild\)/);
  await check(sam.page, 'measures');
  await sam.context.close();

  const casey = await signIn('casey');
  await casey.page.goto(planUrl);
  await casey.page.getByRole('heading', { level: 1 }).waitFor();
  await check(casey.page, 'plan-carer');
  await casey.context.close();

  const alex = await signIn('alex');
  await alex.page.goto(`${base}/people`);
  await alex.page.getByRole('link', { name: /^Sam / }).click();
  await alex.page.getByRole('link', { name: 'Care plan' }).click();
  await alex.page.getByRole('heading', { name: /care plan/, level: 1 }).waitFor();
  assert.match(await alex.page.locator('#what_does_not_help').innerText(), /Being rushed out of the door\./, 'the clinician sees the service user\'s words');
  await check(alex.page, 'plan-clinician');
  await alex.page.getByRole('link', { name: 'Version 1' }).click();
  await alex.page.getByRole('heading', { name: 'What this first version says' }).waitFor();
  await alex.page.goBack();
  await alex.page.getByRole('link', { name: 'Version 2' }).click();
  await alex.page.getByRole('heading', { name: 'What changed since version 1' }).waitFor();
  await check(alex.page, 'plan-version');
  await alex.page.goBack();
  await alex.page.getByRole('link', { name: 'A copy to print or keep' }).click();
  await alex.page.getByRole('heading', { name: /Care plan of/ }).waitFor();
  await check(alex.page, 'plan-print');
  await alex.context.close();
});

test('a team lead sees involvement across the team, as a chart with a table beside it', async () => {
  const { context, page } = await signIn('jordan');
  await page.getByRole('link', { name: 'Involvement in care planning' }).click();
  await page.getByRole('heading', { name: 'Involvement in care planning', level: 1 }).waitFor();
  assert.equal(await page.locator('svg[role="img"]').count(), 1);
  assert.ok(await page.getByRole('table').first().locator('tbody tr').count() >= 5);
  await check(page, 'team');
  await context.close();
});

test('the whole co-production loop: service user, carer and care coordinator agree a plan, a copy is given, the team lead sees it', async () => {
  // The service user's plan, under review in the demo.
  const sam = await signIn('sam');
  await sam.page.getByRole('link', { name: 'My care plan' }).click();
  await sam.page.getByRole('heading', { name: 'My care plan', level: 1 }).waitFor();
  const planUrl = sam.page.url().replace(/[?#].*$/, '');

  // The carer adds their own needs, under the consent Sam gave.
  const casey = await signIn('casey');
  await casey.page.goto(planUrl);
  const needs = casey.page.locator('#carer_needs');
  await needs.getByText("Write or change the carer's words").click();
  await needs.getByLabel('As the carer').fill('A night off each week, and a call if plans change.');
  await needs.getByRole('button', { name: /Save/ }).click();
  await casey.page.getByRole('status').waitFor();
  await casey.context.close();

  // Sam writes, disagrees where he disagrees (with a reason), and agrees the rest.
  await sam.page.goto(planUrl);
  const helps = sam.page.locator('#what_helps');
  await helps.getByText('Agree or disagree').click();
  await helps.getByLabel('I disagree').check();
  await helps.getByLabel(/If you disagree, why/).fill('Please take out "being told to calm down".');
  await helps.getByRole('button', { name: /Record my view/ }).click();
  await sam.page.getByRole('status').waitFor();

  // The care coordinator changes the clinical wording Sam disagreed with.
  const coordinator = await signIn('alex');
  await coordinator.page.goto(planUrl);
  const clinical = coordinator.page.locator('#what_helps');
  await clinical.getByText('Write or change the clinical words').click();
  await clinical.getByLabel(/Clinical wording/).fill('A text message before visits; time to talk without being rushed.');
  await clinical.getByRole('button', { name: /Save/ }).click();
  await coordinator.page.getByRole('status').waitFor();
  await coordinator.context.close();

  await sam.page.goto(planUrl);
  assert.match(await sam.page.locator('#what_helps').innerText(), /time to talk without being rushed/);
  for (let round = 0; round < 10; round += 1) {
    const waiting = sam.page.locator('#finalise');
    if (await waiting.count() === 0) break;
    const text = await waiting.innerText();
    const sectionIds = await sam.page.locator('section.plan-section').evaluateAll((nodes) => nodes.map((n) => [n.id, n.querySelector('h2').textContent]));
    const next = sectionIds.find(([, heading]) => text.includes(heading));
    assert.ok(next, `a section to agree in: ${text}`);
    const section = sam.page.locator(`#${next[0]}`);
    await section.getByText('Agree or disagree').click();
    await section.getByLabel('I agree').check();
    await section.getByRole('button', { name: /Record my view/ }).click();
    await sam.page.getByRole('status').waitFor();
  }
  assert.equal(await sam.page.locator('#finalise').count(), 0, 'nothing left to agree');
  await sam.context.close();

  // The care coordinator finalises and records the copy given.
  const alex = await signIn('alex');
  await alex.page.goto(planUrl);
  await alex.page.getByRole('button', { name: /Finalise version/ }).click();
  await alex.page.getByRole('status').waitFor();
  assert.match(await alex.page.locator('.plan-status').innerText(), /Agreed/);
  await alex.page.getByLabel('How the copy was given').selectOption('print');
  await alex.page.getByRole('button', { name: 'Record copy given' }).click();
  await alex.page.getByRole('status').waitFor();
  assert.match(await alex.page.locator('.plan-status').innerText(), /copy given \(print/);
  await check(alex.page, 'plan-agreed');

  // The team lead sees it on the dashboard.
  const jordan = await signIn('jordan');
  await jordan.page.goto(`${base}/team`);
  const row = jordan.page.locator('tbody tr', { has: jordan.page.locator(`a[href="${new URL(planUrl).pathname}"]`) });
  const cells = await row.locator('td').allInnerTexts();
  assert.match(cells[0], /Agreed, v2/);
  assert.deepEqual([cells[1], cells[2], cells[3], cells[4]], ['Yes', 'Yes', 'Yes', 'Yes'], `own words, agreed, copy given, carer involved: ${cells}`);
  await jordan.context.close();

  // And a review can start again.
  await alex.page.getByRole('button', { name: 'Start a review' }).click();
  await alex.page.getByRole('status').waitFor();
  assert.match(await alex.page.locator('.plan-status').innerText(), /Under review.*Version 3/);
  await alex.context.close();
});

test('a researcher defines a cohort, fixes a mistake, and sees its characterisation with charts and tables', async () => {
  const { context, page } = await signIn('riley');
  await page.getByRole('link', { name: 'Records and cohorts' }).first().click();
  await page.waitForURL(`${base}/records`);
  await check(page, 'records');
  // The demo's example cohort, run over its synthetic records.
  await page.getByRole('link', { name: 'Complex needs' }).click();
  await page.getByRole('heading', { name: 'Table 1: the cohort beside everyone else' }).waitFor();
  const attrition = page.locator('table').first();
  assert.match(await attrition.innerText(), /Everyone in the dataset\s+5000/);
  assert.ok(await page.locator('svg[role=img]').count() >= 2, 'service use and pathways are drawn');
  await check(page, 'cohort');

  // A new cohort with a typing mistake: the error is linked, what was typed stays.
  await page.goto(`${base}/records/cohorts/new`);
  await page.getByLabel('Name').fill('Crisis users');
  await page.getByLabel('Row 1: what').selectOption('crisis');
  await page.locator('#entry1_at_least').fill('two');
  await page.locator('#entry2_kind').selectOption('');
  await page.getByRole('checkbox', { name: /Substance use/ }).uncheck();
  await page.getByRole('button', { name: 'Save and run' }).click();
  const summary = page.getByRole('alert');
  await summary.waitFor();
  assert.equal(await page.locator('#entry1_at_least').inputValue(), 'two');
  await check(page, 'cohort-form-error');
  await summary.getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'entry1_at_least');
  await page.locator('#entry1_at_least').fill('2');
  await page.getByRole('button', { name: 'Save and run' }).click();
  await page.getByRole('heading', { name: 'Crisis users' }).waitFor();
  assert.match(await page.locator('ol.criteria').innerText(), /2\+ care contacts \(crisis resolution and home treatment\) in 24 months/);
  await context.close();
});

test('an administrator imports records through the browser and sees every rejected row', async () => {
  const { context, page } = await signIn('admin');
  await page.goto(`${base}/records`);
  assert.equal(await page.getByRole('link', { name: 'Define a cohort' }).count(), 0, 'administrators import but do not analyse');
  const dir = mkdtempSync(join(tmpdir(), 'cocare-upload-'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'people.csv'), 'source_id,year_of_birth,sex,ethnicity\nU1,1980,female,A\nU2,1990,male,Q\n');
  await page.getByLabel('Files to import').setInputFiles([join(dir, 'people.csv')]);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('heading', { name: 'Nothing was imported' }).waitFor({ timeout: 30_000 });
  assert.match(await page.locator('table').innerText(), /people\.csv\s+3\s+ethnicity\s+unknown ethnicity "Q"/);
  await check(page, 'import-rejected');
  rmSync(dir, { recursive: true, force: true });
  await context.close();
});

test('a health economist compares two care pathways, fixes a mistake, and reads the charts beside their tables', async () => {
  const { context, page } = await signIn('riley');
  await page.getByRole('link', { name: 'Economics' }).first().click();
  await page.waitForURL(`${base}/econ`);
  await check(page, 'econ');
  // The demo's evaluation, priced with its marked proxies, within the complex-needs cohort.
  await page.getByRole('link', { name: /crisis home treatment first or admission first/ }).click();
  await page.getByRole('heading', { name: 'Mean cost per person, by pathway' }).waitFor();
  assert.ok(await page.locator('svg[role=img]').count() >= 3, 'costs, the CE plane and the tornado are drawn');
  const costs = await page.locator('table').first().innerText();
  assert.match(costs, /Inpatient admission first/);
  assert.match(costs, /£[0-9,]+ to £[0-9,]+/, 'intervals are shown');
  await check(page, 'evaluation');

  // A unit-cost table: the default cites every figure; a copy with a broken line is refused, kept.
  await page.goto(`${base}/econ/unit-costs/uk-default`);
  await page.getByRole('heading', { name: 'UK default (shipped with cocare)' }).waitFor();
  await check(page, 'unit-costs');
  const csv = await page.locator('#table').inputValue();
  await page.locator('#name').fill('Local costs');
  await page.locator('#table').fill(csv + 'crisis_home_treatment_contact,contact,direct_medical,nhs_mental_health,-5,GBP,2024,Local finance,2024/25,Budget book,typed by hand\n');
  await page.getByRole('button', { name: 'Save a copy' }).click();
  const summary = page.getByRole('alert');
  await summary.waitFor();
  assert.match(await summary.innerText(), /field cost: -5 is negative/);
  assert.match(await page.locator('#table').inputValue(), /Local finance/);
  await check(page, 'unit-costs-error');

  // A new evaluation with a typing mistake in the thresholds: linked, kept, then fixed.
  await page.goto(`${base}/econ/evaluations/new`);
  await page.locator('#wtp').fill('twenty thousand');
  await page.getByRole('button', { name: 'Save and run' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.locator('#wtp').inputValue(), 'twenty thousand');
  await check(page, 'evaluation-form-error');
  await page.getByRole('alert').getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'wtp');
  await page.locator('#wtp').fill('20000, 30000');
  const demoTable = await page.locator('#unit_costs option', { hasText: 'Demo: UK default' }).getAttribute('value');
  await page.locator('#unit_costs').selectOption(demoTable);
  await page.getByRole('button', { name: 'Save and run' }).click();
  await page.getByRole('heading', { name: 'Differences between pathways' }).waitFor();
  await context.close();
});

test('a researcher codes an interview by selecting words, then by keyboard, and reads agreement, matrices and CMOs', async () => {
  const { context, page } = await signIn('riley');
  await page.getByRole('link', { name: 'Interviews' }).first().click();
  await page.waitForURL(`${base}/qual`);
  await check(page, 'qual');
  await page.getByRole('link', { name: /Crisis café funding change/ }).click();
  await page.getByRole('heading', { name: 'Sources' }).waitFor();
  await check(page, 'qual-project');

  // Select words in the interview with the mouse: the form gets code-point positions and the words.
  await page.getByRole('link', { name: 'Interview P02 carer' }).click();
  await page.getByRole('heading', { name: 'The words' }).waitFor();
  const before = await page.locator('.segments > li').count();
  const wanted = 'Evenings are when things go wrong.';
  await page.evaluate((words) => {
    const box = document.getElementById('source-text');
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const at = node.data.indexOf(words);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + words.length);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        box.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
        return;
      }
    }
    throw new Error('words not found');
  }, wanted);
  assert.equal(await page.locator('#quote').inputValue(), wanted);
  const start = Number(await page.locator('#start').inputValue());
  const end = Number(await page.locator('#end').inputValue());
  const text = await page.locator('#source-text').innerText();
  assert.equal(Array.from(text).slice(start, end).join(''), wanted, 'positions count code points');
  await page.locator('#code').selectOption({ label: '– Contextual integration' });
  await page.getByRole('button', { name: 'Code it' }).click();
  await page.locator('.segments > li').nth(before).waitFor();
  assert.match(await page.locator('#segments').innerText(), /Contextual integration by Riley Chen/);

  // The keyboard way: type the words; a mistake is named and what was typed is kept.
  await page.locator('#quote').fill('words nobody said');
  await page.locator('#code').selectOption({ label: '– Legitimation' });
  await page.getByRole('button', { name: 'Code it' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.locator('#quote').inputValue(), 'words nobody said');
  await check(page, 'qual-source-error');
  await page.getByRole('alert').getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'quote');
  await page.locator('#quote').fill('That hurt.');
  await page.getByRole('button', { name: 'Code it' }).click();
  await page.waitForURL(/#coding-form$/);
  assert.match(await page.locator('#segments').innerText(), /That hurt\./);
  await check(page, 'qual-source');

  // Search, agreement, the framework matrix and co-occurrence, the codebook, participants.
  const project = new URL(page.url()).pathname.split('/')[2];
  await page.goto(`${base}/qual/${project}/search?q=trust`);
  assert.match(await page.locator('main').innerText(), /1 source/);
  await check(page, 'qual-search');
  await page.goto(`${base}/qual/${project}/agreement`);
  assert.ok(await page.locator('svg[role=img]').count() === 1, 'the alpha chart is drawn');
  assert.match(await page.locator('table').innerText(), /All codes/);
  await check(page, 'qual-agreement');
  await page.goto(`${base}/qual/${project}/matrix`);
  assert.match(await page.locator('table').innerText(), /Distrust first/);
  await check(page, 'qual-matrix');
  await page.goto(`${base}/qual/${project}/cooccurrence`);
  await check(page, 'qual-cooccurrence');
  await page.goto(`${base}/qual/${project}/codebook`);
  await check(page, 'qual-codebook');
  await page.goto(`${base}/qual/${project}/people`);
  await check(page, 'qual-people');

  // Realist synthesis: a configuration with a missing outcome is refused, kept, then saved.
  await page.goto(`${base}/qual/${project}/cmos`);
  assert.match(await page.locator('table').innerText(), /C2: being remembered/);
  await check(page, 'qual-cmos');
  await page.locator('#theory').fill('Engagement before a funding change');
  await page.locator('#name').fill('C3: carers heard');
  await page.locator('#context').fill('Carers invited to shape the new service');
  await page.locator('#mechanism').fill('Being listened to, and seeing it change something');
  await page.getByRole('button', { name: 'Save the configuration' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.locator('#mechanism').inputValue(), 'Being listened to, and seeing it change something');
  await page.locator('#outcome').fill('Carers stay involved');
  await page.locator('#evidence_source').selectOption({ label: 'Interview P02 carer' });
  await page.locator('#quote').fill('actually changed the opening hours because of what we said');
  await page.getByRole('button', { name: 'Save the configuration' }).click();
  await page.getByRole('heading', { name: 'C3: carers heard' }).waitFor();
  assert.match(await page.locator('.segments').innerText(), /opening hours/);
  await check(page, 'qual-cmo');
  await context.close();
});

test('a clinician cannot reach the interview workbench at all', async () => {
  const { context, page } = await signIn('alex');
  const response = await page.goto(`${base}/qual`);
  assert.equal(response.status(), 403);
  await context.close();
});

test('an engagement lead follows a funding change: facets, who is heard, the board, the time series, and a mistake fixed', async () => {
  const { context, page } = await signIn('morgan');
  await page.getByRole('link', { name: 'Engagement' }).first().click();
  await page.waitForURL(`${base}/engage`);
  assert.ok(await page.locator('svg[role=img]').count() === 3, 'engagement over time, the facets by month and by category are drawn');
  assert.match(await page.locator('main').innerText(), /Who is heard/);
  await check(page, 'engage');

  await page.goto(`${base}/engage/stakeholders`);
  assert.match(await page.locator('main').innerText(), /These look like the same person/);
  await check(page, 'engage-stakeholders');
  await page.goto(`${base}/engage/activities`);
  await check(page, 'engage-activities');
  await page.getByRole('link', { name: /Co-design 1/ }).click();
  await page.getByRole('heading', { name: 'Ratings' }).waitFor();
  // An action without an owner: refused, linked, kept.
  await page.locator('#action').fill('Ask the café staff about quiet hours');
  await page.locator('#due_on').fill('2025-01-31');
  await page.getByRole('button', { name: 'Add the action' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.locator('#action').inputValue(), 'Ask the café staff about quiet hours');
  await page.getByRole('alert').getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'owner');
  await check(page, 'engage-activity-error');
  await page.locator('#owner').fill('Café manager');
  await page.getByRole('button', { name: 'Add the action' }).click();
  await page.waitForURL(/#actions$/);

  // A new activity with one person who came; their own single-use link to rate it.
  await page.goto(`${base}/engage/activities`);
  await page.locator('#title').fill('Carers evening');
  await page.locator('#kind').selectOption('meeting');
  await page.locator('#held_on').fill('2025-12-03');
  await page.locator('#purpose').fill('Hear from carers about evenings');
  await page.locator('input[name=attended]').first().check();
  await page.getByRole('button', { name: 'Save the activity' }).click();
  await page.getByRole('heading', { name: 'Carers evening' }).waitFor();
  await page.getByRole('button', { name: /Make rating links/ }).click();
  const link = (await page.locator('.notice code').first().innerText()).trim();
  assert.match(link, /^\/rate\/[0-9a-f]{64}$/);
  const visitor = await browser.newContext({ viewport: PHONE });
  const rate = await visitor.newPage();
  await rate.goto(`${base}${link}`);
  await rate.getByRole('heading', { name: /How was/ }).waitFor();
  await assertAccessible(rate, 'rating link (phone)');
  await rate.screenshot({ path: join(shots, 'engage-rate-phone.png'), fullPage: true });
  await rate.locator('#shared_purpose-4').check();
  await rate.locator('#participation-5').check();
  await rate.locator('#dialogue-4').check();
  await rate.locator('#comment').fill('I felt heard this time.');
  await rate.getByRole('button', { name: 'Send my rating' }).click();
  await rate.getByRole('heading', { name: 'Thank you' }).waitFor();
  await visitor.close();

  await page.goto(`${base}/engage/board`);
  assert.match(await page.locator('main').innerText(), /Needs attention/);
  await check(page, 'engage-board');
  await page.goto(`${base}/engage/payments`);
  await check(page, 'engage-payments');
  await page.goto(`${base}/engage/funding`);
  await check(page, 'engage-funding');
  await page.getByRole('link', { name: /crisis café/ }).click();
  await page.getByRole('heading', { name: 'Outcome indicators' }).waitFor();
  assert.ok(await page.locator('svg[role=img]').count() >= 2, 'each indicator is drawn');
  assert.match(await page.locator('main').innerText(), /level change/);
  await check(page, 'engage-change');
  await page.goto(`${base}/engage/report`);
  assert.match(await page.locator('#results').inputValue(), /proposals were raised/);
  await check(page, 'engage-report');
  await context.close();
});

test('vignettes: drafted from a cohort, checked, approved by three stakeholders, answered by three clinicians, analysed', async () => {
  const { context, page } = await signIn('riley');
  await page.getByRole('link', { name: 'Vignettes' }).first().click();
  await page.waitForURL(`${base}/vignettes`);
  await check(page, 'vignettes');
  await page.getByRole('button', { name: 'Propose a composite case' }).click();
  await page.waitForURL(/\/vignettes\/new\?cohort=/);
  assert.match(await page.locator('#story').inputValue(), /known to community mental health services/);
  const title = 'Sam-style composite for the browser test';
  await page.locator('#title').fill(title);
  await page.locator('#story').fill('Alex is a woman who lives alone in a council flat. She has used the crisis team many times this year.');
  await page.locator('#facts').fill('{"sex": "female", "age": {"min": 18, "max": 90}}');
  await page.getByRole('button', { name: 'Check against the records' }).click();
  await page.getByRole('heading', { name: 'Passes the check against the records' }).waitFor();
  await check(page, 'vignette-draft-checked');
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await page.waitForURL(/\/vignettes\/[0-9a-f-]{36}$/);
  const vignette = page.url().split('/').pop();
  await check(page, 'vignette-researcher');

  // Three stakeholders of different categories comment and approve.
  for (const [who, words] of [['sam', 'crisis team'], ['casey', 'council flat'], ['alex', 'many times']]) {
    const s = await signIn(who);
    await s.page.goto(`${base}/vignettes/${vignette}`);
    await s.page.locator('#passage').fill(words);
    await s.page.locator('#comment').fill(`A comment from ${who}.`);
    await s.page.getByRole('button', { name: 'Add the comment' }).click();
    await s.page.waitForURL(/#comments$/);
    await s.page.getByRole('button', { name: /I approve version 1/ }).click();
    await s.page.waitForURL(/#approvals$/);
    if (who === 'sam') await check(s.page, 'vignette-panel');
    await s.context.close();
  }
  await page.goto(`${base}/vignettes/${vignette}`);
  assert.match(await page.locator('#approvals').innerText(), /Approved/);

  // A study with a factorial variant (housing), opened, with three links.
  await page.goto(`${base}/studies/new`);
  await page.locator('#title').fill('Browser decision study');
  await page.getByLabel(new RegExp(`^${title}`)).check();
  const details = page.locator('details.factor').filter({ hasText: title });
  await details.locator('summary').click();
  await page.locator(`#factor_name_${vignette}`).fill('housing');
  await page.locator(`#factor_ref_label_${vignette}`).fill('council flat');
  await page.locator(`#factor_ref_text_${vignette}`).fill('lives alone in a council flat');
  await page.locator(`#factor_levels_${vignette}`).fill('sleeping rough = has been sleeping rough since the spring');
  await check(page, 'study-form');
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await page.waitForURL(/\/studies\/[0-9a-f-]{36}$/);
  const study = page.url().split('/').pop();
  await page.getByRole('button', { name: 'Open the study' }).click();
  await page.waitForURL(/saved=open/);
  await page.locator('#count').fill('3');
  await page.getByRole('button', { name: 'Make the links' }).click();
  await page.getByRole('heading', { name: 'New links: copy them now' }).waitFor();
  const links = await page.locator('.links code').allInnerTexts();
  assert.equal(links.length, 3);
  await check(page, 'study');

  // Three clinicians answer on their phones.
  for (const [i, link] of links.entries()) {
    const visitor = await browser.newContext({ viewport: PHONE });
    const answer = await visitor.newPage();
    await answer.goto(`${base}${link}`);
    await answer.getByRole('heading', { name: /Case 1 of 1/ }).waitFor();
    if (i === 0) {
      await assertAccessible(answer, 'study link (phone)');
      await answer.screenshot({ path: join(shots, 'study-respond-phone.png'), fullPage: true });
    }
    await answer.locator(`input[name$="_refer"][value="${i === 2 ? 'no' : 'yes'}"]`).check();
    await answer.locator('input[name$="_risk"][value="high"]').check();
    await answer.locator('input[name$="_first_service"][value="crisis team"]').check();
    await answer.locator(`input[name$="_confidence"][value="${4 + i}"]`).check();
    await answer.locator('textarea[name$="_reasons"]').fill(`Reason from clinician ${i + 1}`);
    await answer.getByRole('button', { name: 'Send my answers' }).click();
    await answer.getByRole('heading', { name: 'Thank you' }).waitFor();
    await visitor.close();
  }

  // The analysis: agreement with raters and units, and the variant's effect.
  await page.goto(`${base}/studies/${study}/analysis`);
  const text = await page.locator('main').innerText();
  assert.match(text, /Fleiss' kappa/);
  assert.match(text, /housing: sleeping rough \(against council flat\)/);
  assert.match(text, /Reason from clinician 3/);
  assert.ok(await page.locator('svg[role=img]').count() >= 2, 'distributions and effects are drawn');
  await check(page, 'study-analysis');
  await context.close();
});
