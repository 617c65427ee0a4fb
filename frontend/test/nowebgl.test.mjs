// A browser without WebGL gets the list view instead of the map.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, launch, newPage, openMap, shot, startServer } from './helpers.mjs';

let srv;
let browser;

before(async () => {
  srv = await startServer();
  browser = await launch(['--disable-webgl', '--disable-3d-apis']);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('without WebGL the list view is shown, and works', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.mode), 'list');
  assert.equal(await page.evaluate(() => !!document.createElement('canvas').getContext('webgl2')), false, 'WebGL really is off');
  await page.waitForSelector('#list-body .list-feature');
  assert.ok(await page.locator('#list').isVisible());
  assert.ok(!(await page.locator('#map').isVisible()));
  assert.match(await page.textContent('#list-note'), /WebGL/);
  assert.equal(Number(await page.getAttribute('#list-body', 'data-count')), 51);
  // Layers still filter the list; a feature still opens with its passages.
  await page.uncheck('#layer-toggle-events');
  await page.waitForFunction(() => document.getElementById('list-body').dataset.count === '33');
  await page.locator('#list-body .list-feature[data-key="bases/gyumri-102nd-base"] .feature-btn').click();
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  assert.equal(await page.locator('#feature-body .claim[data-passage="p004-07"]').getAttribute('data-relation'), 'contradicts');
  await shot(page, 'no-webgl.png');
  assertClean(assert, rec, srv.base);
  await context.close();
});
