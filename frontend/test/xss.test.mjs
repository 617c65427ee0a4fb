// Text from features and sources is inserted as text, never as HTML.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertClean, launch, mapIdle, newPage, openMap, startServer } from './helpers.mjs';

const fixture = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'xss.geojson');
const NAME = '<img src=x onerror=alert(1)>';
let srv;
let browser;

before(async () => {
  srv = await startServer({ imports: [{ file: fixture, layer: 'xss' }] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('a feature named <img src=x onerror=alert(1)> shows the literal text and runs nothing', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/#map=7/40.20/44.50&feature=xss/xss-base');
  await page.waitForSelector('#feature-panel[data-feature="xss/xss-base"][data-loaded="1"]');
  await mapIdle(page);
  assert.equal(await page.textContent('#feature-title'), NAME);
  const body = await page.textContent('#feature-body');
  assert.ok(body.includes('<script>alert(2)</script>'), 'alias shown as text');
  assert.ok(body.includes('<b>active</b>'), 'status shown as text');
  assert.ok(body.includes('<img src=x onerror=alert(8)>'), 'claim note shown as text');
  // The layer's title in the layer panel, as text.
  assert.ok((await page.textContent('#layer-list')).includes('Fixture <b>layer</b> <img src=x onerror=alert(3)>'));

  // Search by the alias and by the name itself.
  await page.fill('#search-input', 'zz-xss');
  await page.waitForSelector('#search-results .result[data-key="xss/xss-base"]');
  assert.ok((await page.textContent('#search-results')).includes(NAME));
  await page.fill('#search-input', '<img');
  await page.waitForSelector('#search-results .result[data-key="xss/xss-base"]');

  // The list view.
  await page.click('#btn-list');
  const item = page.locator('#list-body .list-feature[data-key="xss/xss-base"]');
  await item.waitFor();
  assert.equal(await item.locator('.feature-btn').textContent(), NAME);

  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img src=x> element');
  assert.equal(await page.locator('#feature-body script, #list-body script, #layer-list script, #search-results script').count(), 0);
  assert.equal(await page.locator('b').count(), 0, 'no <b> from the data');
  assert.deepEqual(rec.dialogs, [], 'no dialog fired');
  assertClean(assert, rec, srv.base);
  await context.close();
});
