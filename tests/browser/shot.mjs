// A helper for looking at pages by hand: node shot.mjs BASE USER PATH OUT [width]
import { chromium } from 'playwright-core';
const [base, user, path, out, width, selector] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: Number(width || 1280), height: 900 } });
await page.goto(base + '/login');
await page.fill('#username', user);
await page.fill('#password', 'cocare-demo-2026');
await page.click('button[type=submit]');
await page.goto(base + path);
if (selector) { await page.locator(selector).first().screenshot({ path: out }); } else { await page.screenshot({ path: out, fullPage: true }); }
console.log(await page.title());
await browser.close();
