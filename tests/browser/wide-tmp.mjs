import { chromium } from 'playwright-core';
const [base, user, path] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
await page.goto(base + '/login');
await page.fill('#username', user);
await page.fill('#password', 'cocare-demo-2026');
await page.click('button[type=submit]');
await page.goto(base + path);
if (process.argv[5]) { await page.click(process.argv[5]); await page.waitForLoadState(); }
const wide = await page.evaluate(() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !el.closest('.table-scroll')) out.push(`${el.tagName}.${el.className}#${el.id} ${Math.round(r.left)}-${Math.round(r.right)} parent=${el.parentElement.tagName}.${el.parentElement.className}`);
  }
  for (const sel of ['main', 'main > section', 'dl.facts', '.notice']) { const e = document.querySelector(sel); if (e) { const r = e.getBoundingClientRect(); out.unshift(`${sel} ${Math.round(r.left)}-${Math.round(r.right)} style=${getComputedStyle(e).gridTemplateColumns || ''}`); } }
  return out.filter(x => !x.startsWith('DT') && !x.startsWith('DD')).slice(0, 25);
});
console.log(wide.join('\n'));
await browser.close();
