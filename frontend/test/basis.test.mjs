// How directly each passage backs its claim: explicit evidence first, an
// inferred claim marked with its note, only explicit sources counted, and a
// context layer shown muted, as context rather than evidence.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertClean, launch, newPage as openPage, openMap, shot, startServer } from './helpers.mjs';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const NOTE = `<img src=x onerror="window.__pwned='inferred-note'"> troops in the region imply the garrison`;
let srv;
let browser;

// The first idle map with every layer drawn can take over 30 s on a loaded
// machine with software GL: the ready signal is waited for longer, not slept on.
async function newPage(...args) {
  const r = await openPage(...args);
  r.context.setDefaultTimeout(120_000);
  return r;
}

before(async () => {
  // The bundled data, then a folder with two test articles, a cited layer
  // whose feature has an inferred claim (listed first) and an explicit one,
  // and its context layer.
  srv = await startServer({ dirs: [join(fixtures, 'basis-data')] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('the panel lists explicit evidence first, marks the inferred claim with its note, and counts only explicit sources', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/#map=8/40.50/44.70&feature=basis/test-garrison');
  await page.waitForSelector('#feature-panel[data-feature="basis/test-garrison"][data-loaded="1"]');
  const claims = page.locator('#feature-body .claims > li');
  assert.equal(await claims.count(), 2);
  assert.equal(await claims.nth(0).getAttribute('data-basis'), 'explicit');
  assert.equal(await claims.nth(0).getAttribute('data-passage'), 'p910-01');
  assert.equal(await claims.nth(0).locator('.badge-inferred').count(), 0, 'the explicit claim has no inferred marker');
  const inferred = claims.nth(1);
  assert.equal(await inferred.getAttribute('data-basis'), 'inferred');
  assert.match(await inferred.getAttribute('class'), /claim-inferred/);
  assert.equal((await inferred.locator('.badge-inferred').textContent()).trim(), 'inferred');
  assert.equal(await inferred.locator('.inferred-note').textContent(), `Inferred: ${NOTE}`);
  // Two passages from two articles, but only one states the garrison.
  assert.equal(await page.textContent('#feature-body .evidence-title'), 'Evidence: 2 passages from 1 source (1 inferred)');
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null, 'the note ran as markup');
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  await shot(page, 'basis-panel.png');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('a context layer is flagged in /collections, named as context in the layer list, and its feature is not evidence', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  const cols = await (await fetch(srv.base + '/collections?f=json')).json();
  const ctx = cols.collections.find((c) => c.id === 'basis-context');
  assert.deepEqual({ kind: ctx.kind, context_of: ctx.context_of, uncited: ctx.uncited }, { kind: 'context', context_of: 'basis', uncited: true });
  const ids = cols.collections.map((c) => c.id);
  assert.equal(ids.indexOf('basis-context'), ids.indexOf('basis') + 1, 'the context layer follows its cited layer');

  await openMap(page, srv.base + '/#map=8/40.50/44.70&feature=basis-context/test-outpost');
  await page.waitForSelector('#feature-panel[data-feature="basis-context/test-outpost"][data-loaded="1"]');
  const item = page.locator('.layer-item[data-layer="basis-context"]');
  assert.match(await item.getAttribute('class'), /layer-context/);
  assert.match(await item.locator('.layer-meta').textContent(), /context for Basis test garrisons, not cited/);
  assert.equal(await page.textContent('#feature-body .evidence-title'), 'Context, not evidence');
  assert.equal(await page.locator('#feature-body .claims > li[data-basis="inferred"] .badge-inferred').count(), 1);
  assert.doesNotMatch(await page.textContent('#feature-body'), /Evidence: /, 'no evidence count on a context feature');
  // Drawn, but muted: the context kind's grey, not the bases' red.
  // Held layers share style layers by role, their colours matched on _layer:
  // the colour is the one the match gives basis-context.
  const colour = await page.evaluate(() => {
    const s = window.citemap.styleLayers.find((l) => (l.layers || []).includes('basis-context') && l.id.endsWith(':point'));
    if (!s) return null;
    const v = window.citemap.map.getPaintProperty(s.id, 'circle-color');
    if (!Array.isArray(v) || v[0] !== 'match') return v;
    for (let i = 2; i + 1 < v.length; i += 2) if ([].concat(v[i]).includes('basis-context')) return v[i + 1];
    return v[v.length - 1];
  });
  assert.match(JSON.stringify(colour), /#a3aab2/);
  await shot(page, 'basis-context.png');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('the list view orders and marks claims the same way, and flags context features', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/#map=8/40.50/44.70&layers=basis,basis-context&view=list');
  await page.waitForSelector('#list-body .list-feature[data-key="basis/test-garrison"] .list-evidence');
  const gar = page.locator('#list-body .list-feature[data-key="basis/test-garrison"]');
  assert.equal(await gar.locator('summary').textContent(), '2 passages (1 inferred)');
  const lis = gar.locator('.list-evidence li.claim');
  assert.deepEqual([await lis.nth(0).getAttribute('data-basis'), await lis.nth(1).getAttribute('data-basis')], ['explicit', 'inferred']);
  assert.equal(await lis.nth(1).locator('.inferred-note').textContent(), `Inferred: ${NOTE}`);
  const out = page.locator('#list-body .list-feature[data-key="basis-context/test-outpost"]');
  assert.equal(await out.locator('.badge-context').textContent(), 'context, not cited');
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null);
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('an embed with sources=count counts only explicit sources, and names a context feature as such', async () => {
  const { page, context, rec } = await newPage(browser, srv.base, { viewport: { width: 640, height: 420 } });
  await openMap(page, srv.base + '/embed?view=8/40.50/44.70&sources=count&layers=basis&feature=basis/test-garrison');
  await page.waitForSelector('#embed-info[data-feature="basis/test-garrison"]:not([hidden])');
  assert.equal(await page.getAttribute('#embed-info .embed-count', 'data-count'), '1');
  assert.match(await page.textContent('#embed-info'), /Test Garrison · Basis test garrisons · 1 source · Read them on the full map/);

  await openMap(page, srv.base + '/embed?view=8/40.50/44.70&sources=count&layers=basis-context&feature=basis-context/test-outpost');
  await page.waitForSelector('#embed-info[data-feature="basis-context/test-outpost"]:not([hidden])');
  assert.match(await page.textContent('#embed-info'), /Test Outpost · Basis test garrisons \(context\) · context, not cited · On the full map/);
  assert.equal(await page.locator('#embed-info [data-count]').count(), 0, 'no source count on a context feature');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('the source reader marks a feature its passage backs only by inference', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await page.goto(srv.base + '/sources/911_basis#passage-p911-01');
  const backs = page.locator('sup.backs a');
  assert.equal(await backs.count(), 2);
  for (let i = 0; i < 2; i++) {
    assert.match(await backs.nth(i).getAttribute('class'), /inferred/);
  }
  assert.match(await page.textContent('sup.backs'), /Test Garrison \(inferred\), Test Outpost \(inferred\)/);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null);
  assertClean(assert, rec, srv.base);
  await context.close();
});
