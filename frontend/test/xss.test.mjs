// Text from features and sources is inserted as text, never as HTML.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertClean, launch, mapIdle, newPage, openMap, RECORDER_JS, shot, startHost, startServer } from './helpers.mjs';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const fixture = join(fixtures, 'xss.geojson');
const NAME = '<img src=x onerror=alert(1)>';
let srv;
let host;
let browser;

before(async () => {
  // The bundled data, a hostile feature file, and a hostile data folder: a
  // source whose text holds the payloads (passages given only as `exact`
  // quotes) and a layer whose names, notes, aliases and coord_source do.
  srv = await startServer({ imports: [{ file: fixture, layer: 'xss' }], dirs: [join(fixtures, 'xss-data')], users: [{ name: 'xss-rita', role: 'reviewer' }] });
  host = await startHost('127.0.0.2');
  host.pages.set('/recorder.js', { type: 'text/javascript', body: RECORDER_JS });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await srv?.stop();
});

// The payloads in the fixture folder, as they must read on the page.
const QUOTES = [
  `<script>window.__pwned='script';alert('script')</script> must show as text.`,
  `<img src=x onerror="window.__pwned='img';alert('img')"> must show as text too.`,
  `<a href="javascript:window.__pwned='link'">click me</a> and the bare URL javascript:alert(3) stay words.`,
  `<svg onload="window.__pwned='svg'"><script>window.__pwned='svg-script'</script></svg> is only markup in words.`,
];
const HOSTILE_NAME = `<img src=x onerror="window.__pwned='name'">Hostile base`;

/**
 * Nothing from the payloads became markup or ran: no __pwned, no <img src=x>,
 * no javascript: link, no script or event handler carrying a payload, and
 * (checked by the caller through rec) no dialog. Works in frames and in SVG
 * documents too.
 */
async function assertInert(target, where) {
  const found = await target.evaluate(() => ({
    pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
    imgX: document.querySelectorAll('img[src="x"], image[href="x"]').length,
    jsLinks: [...document.querySelectorAll('a[href], area[href], iframe[src], [*|href]')]
      .filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') || a.getAttribute('src') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '')).length,
    scripts: [...document.querySelectorAll('script')].filter((s) => /pwned|alert/.test(s.textContent)).length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
    b: document.querySelectorAll('b').length,
  }));
  assert.deepEqual(found, { pwned: null, imgX: 0, jsLinks: 0, scripts: 0, handlers: 0, b: 0 }, `payload live in ${where}`);
}

test('the inertness check itself catches a live payload (control)', async () => {
  const { page, context } = await newPage(browser, host.base);
  for (const body of [`<img src=x onerror="window.__pwned='img'">`, '<a href="javascript:void 0">x</a>', '<svg><a href="javascript:void 0"><text>x</text></a></svg>',
    '<b>bold</b>', `<script>window.__pwned='s'</script>`, '<div onclick="x()">x</div>']) {
    host.pages.set('/control.html', { type: 'text/html; charset=utf-8', body: `<!doctype html><html><head><link rel="icon" href="data:,"></head><body>${body}</body></html>` });
    await page.goto(host.base + '/control.html');
    await assert.rejects(assertInert(page, 'control'), /payload live/, body);
  }
  await context.close();
});

const text = (target) => target.evaluate(() => document.documentElement.textContent);

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

test('hostile source text and feature fields stay text in every place that shows them', async () => {
  const { page, context, rec, morePage } = await newPage(browser, srv.base);
  const checked = [];

  // 1. The map's feature panel.
  await openMap(page, srv.base + '/#map=8/40.90/44.80&feature=hostile/hostile-base');
  await page.waitForSelector('#feature-panel[data-feature="hostile/hostile-base"][data-loaded="1"]');
  await mapIdle(page);
  assert.equal(await page.textContent('#feature-title'), HOSTILE_NAME);
  const panel = await page.textContent('#feature-body');
  for (const q of QUOTES) assert.ok(panel.includes(q), `panel shows ${q}`);
  for (const t of ['javascript:alert(1)', `<script>window.__pwned='name_ru'</script>`, `<svg onload="window.__pwned='alias'"></svg>`,
    `<a href="javascript:window.__pwned='note'">click</a>`, `<script>window.__pwned='claimnote'</script>`]) {
    assert.ok(panel.includes(t), `panel shows ${t}`);
  }
  assert.ok((await page.textContent('#layer-list')).includes(`Hostile <svg onload="window.__pwned='layer'"></svg> layer`));
  await assertInert(page, 'the map panel');
  checked.push('panel');

  // 2. The list view, passages open.
  await page.click('#btn-list');
  const item = page.locator('#list-body .list-feature[data-key="hostile/hostile-base"]');
  await item.waitFor();
  await item.locator('summary').click();
  const listText = await item.textContent();
  for (const q of QUOTES) assert.ok(listText.includes(q), `list shows ${q}`);
  assert.ok(listText.includes(`Hostile <script>window.__pwned='title'</script> title`), 'source title as text');
  // Search over the hostile passage text.
  await page.fill('#search-input', 'must show as text');
  await page.waitForSelector('#search-results .result-passage[data-key="hostile/hostile-base"]');
  await assertInert(page, 'the list view and search');
  await shot(page, 'xss-list.png');
  checked.push('list', 'search');

  // 3. The embed dialog's snippet for the hostile feature, in a host page.
  await page.click('#btn-list');
  await page.click('#btn-embed');
  await page.waitForSelector('#embed-dialog[open]');
  const snippet = await page.inputValue('#embed-code');
  assert.ok(!snippet.includes(`<img src=x`) && snippet.includes('&lt;img src=x onerror=&quot;window.__pwned=&#39;name&#39;&quot;&gt;'), 'the name is escaped in the snippet');
  await page.keyboard.press('Escape');
  host.pages.set('/xss-snippet.html', { type: 'text/html; charset=utf-8', body: `<!doctype html><html><head><meta charset="utf-8"><title>host</title><link rel="icon" href="data:,"><script src="/recorder.js"></script></head><body>${snippet}</body></html>` });
  const hostPage = await morePage();
  await hostPage.goto(host.base + '/xss-snippet.html');
  const frame = await (await hostPage.waitForSelector('iframe')).contentFrame();
  await frame.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await frame.waitForSelector('#feature-panel[data-feature="hostile/hostile-base"][data-loaded="1"]');
  assert.equal(await hostPage.locator('figcaption').evaluate((e) => e.textContent.includes(`<img src=x onerror="window.__pwned='name'">Hostile base`)), true);
  await hostPage.waitForFunction(() => window.__msgs.some((m) => m.data && m.data.type === 'citemap:resize'));
  const embedText = await frame.textContent('#feature-body');
  for (const q of QUOTES) assert.ok(embedText.includes(q), `embed shows ${q}`);
  await assertInert(hostPage, 'the host page with the snippet');
  await assertInert(frame, 'the embed (from the snippet)');
  checked.push('embed snippet', 'embed');

  // 4. /embed?feature= on its own, with sources=count (the name line).
  const emb = await morePage();
  await openMap(emb, srv.base + '/embed?feature=hostile/hostile-base&sources=count&view=8/40.90/44.80');
  await emb.waitForSelector('#embed-info[data-feature="hostile/hostile-base"]:not([hidden])');
  assert.ok((await emb.textContent('#embed-info')).includes(HOSTILE_NAME));
  await assertInert(emb, '/embed sources=count');

  // 5. The source reader.
  const reader = await morePage();
  await reader.goto(srv.base + '/sources/900_xss#passage-p900-02');
  await reader.waitForSelector('mark.current');
  const readerText = await text(reader);
  for (const q of QUOTES) assert.ok(readerText.includes(q.split(' must')[0].split(' is only')[0].split(' and the')[0]), `reader shows ${q}`);
  await assertInert(reader, 'the source reader');
  checked.push('reader');

  // 6. The OGC API HTML pages.
  for (const path of ['/collections/hostile/items?f=html', '/collections/hostile/items/hostile-base?f=html', '/collections/hostile?f=html', '/collections?f=html']) {
    const p = await morePage();
    const res = await p.goto(srv.base + path);
    assert.equal(res.status(), 200, path);
    const t = await text(p);
    assert.ok(t.includes('Hostile <svg') || t.includes('<img src=x'), `${path} shows the payload as text`);
    await assertInert(p, path);
    checked.push(path);
  }

  // 7. The static SVG, opened as a document.
  const svg = await morePage();
  const svgRes = await svg.goto(srv.base + '/static/map.svg?layers=borders,hostile&feature=hostile/hostile-base&view=8/40.90/44.80&width=800&height=500');
  assert.equal(svgRes.headers()['content-type'], 'image/svg+xml');
  assert.equal(await svg.evaluate(() => document.documentElement.namespaceURI), 'http://www.w3.org/2000/svg');
  assert.ok((await text(svg)).includes(HOSTILE_NAME), 'the SVG names the feature, as text');
  await assertInert(svg, 'the static SVG');
  checked.push('static svg');

  // 8. An oEmbed answer's html in a consumer's page.
  const oe = await (await fetch(srv.base + '/oembed?format=json&url=' + encodeURIComponent(srv.base + '/embed?feature=hostile/hostile-base'))).json();
  assert.equal(oe.type, 'rich');
  assert.ok(!oe.html.includes('<img src=x'), 'oEmbed html escapes the title');
  host.pages.set('/xss-oembed.html', { type: 'text/html; charset=utf-8', body: `<!doctype html><html><head><meta charset="utf-8"><title>consumer</title><link rel="icon" href="data:,"></head><body><h1>${oe.title.replace(/</g, '&lt;')}</h1>${oe.html}</body></html>` });
  const consumer = await morePage();
  await consumer.goto(host.base + '/xss-oembed.html');
  const oFrame = await (await consumer.waitForSelector('iframe')).contentFrame();
  await oFrame.waitForFunction(() => document.documentElement.dataset.ready === '1');
  assert.equal(await consumer.getAttribute('iframe', 'title'), `Map: ${HOSTILE_NAME}`);
  await assertInert(consumer, 'the oEmbed consumer page');
  await assertInert(oFrame, 'the oEmbed iframe');
  checked.push('oembed html');

  const foreign = rec.requests.filter((u) => !u.startsWith(srv.base + '/') && !u.startsWith(host.base + '/') && !/^(blob|data):/.test(u));
  assert.deepEqual(foreign, [], 'requests left the two origins');
  assert.deepEqual(rec.dialogs, [], 'no dialog fired');
  // No allow-list: the SVG has no <style> element and /favicon.ico answers.
  assert.deepEqual(rec.errors, [], 'console errors');
  console.log(`XSS checked: ${checked.join(', ')}`);
  await context.close();
});

test('the editor shows hostile text as text: source form, reader, suggestions, combobox, changes, history', async () => {
  const reviewer = srv.tokens['xss-rita'];
  const { page, context, rec } = await newPage(browser, srv.base, { viewport: { width: 1400, height: 900 } });
  await openMap(page, srv.base + '/');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Token').fill(reviewer);
  await page.getByLabel('Token').press('Enter');
  await page.waitForFunction(() => document.documentElement.dataset.editor === 'started');

  // A hostile article: its title, publisher and text are payloads, and it
  // names Gyumri so that suggestions are shown.
  const TITLE = `<img src=x onerror="window.__pwned='ed-title'">Hostile article`;
  const BODY = `In Gyumri <script>window.__pwned='ed-text'</script> and <b>bold</b> <img src=x onerror="window.__pwned='ed-img'"> stay words.\nThe link <a href="javascript:window.__pwned='ed-link'">here</a> is text.`;
  await page.getByRole('button', { name: 'Add source' }).click();
  await page.getByLabel('Title', { exact: true }).fill(TITLE);
  await page.getByLabel('Publisher', { exact: true }).fill(`<svg onload="window.__pwned='ed-pub'"></svg>`);
  await page.getByLabel('Article text', { exact: true }).fill(BODY);
  await page.getByRole('button', { name: 'Save source' }).click();
  await page.waitForSelector('#ed-reader[data-ready="1"]');
  assert.equal(await page.textContent('#ed-reader-title'), TITLE);
  assert.equal(await page.textContent('#ed-text'), BODY);
  assert.ok(await page.locator('#ed-text mark[data-suggestion]').count() >= 1, 'Gyumri is suggested');
  await assertInert(page, 'the editor reader');

  // The same text again: the server's 409 detail is shown and the input kept.
  await page.getByRole('button', { name: 'Add source' }).click();
  await page.getByLabel('Article text', { exact: true }).fill(BODY);
  await page.getByRole('button', { name: 'Save source' }).click();
  await page.waitForSelector('form[data-form="source"] .ed-message.ed-error');
  assert.match(await page.textContent('form[data-form="source"] .ed-message'), /already|exists|same text/i);
  assert.equal(await page.inputValue('textarea[name="text"]'), BODY, 'what was typed stays');

  // Cite the hostile sentence for the hostile feature, found by its name.
  await page.evaluate(() => window.citemapEditor.openSource(window.citemapEditor.state.reader.src.id));
  await page.waitForSelector('#ed-reader[data-ready="1"]');
  await page.evaluate(() => {
    const t = document.getElementById('ed-text');
    const r = document.createRange();
    r.selectNodeContents(t);
    getSelection().removeAllRanges();
    getSelection().addRange(r);
  });
  await page.getByRole('button', { name: 'Cite selection' }).click();
  const cite = page.locator('dialog[data-form="cite"]');
  await cite.waitFor();
  const combo = cite.getByRole('combobox', { name: 'Feature' });
  await combo.fill('<img src=x');
  const opt = cite.getByRole('option').filter({ hasText: HOSTILE_NAME });
  await opt.first().waitFor();
  await assertInert(page, 'the Feature combobox');
  await opt.first().dispatchEvent('mousedown');
  await cite.getByLabel('Note', { exact: true }).fill(`<img src=x onerror="window.__pwned='ed-note'">`);
  await cite.getByRole('button', { name: 'Save claim' }).click();
  await page.waitForFunction(() => /^claim:hostile\/hostile-base:/.test(document.getElementById('editor-panel')?.dataset.last || ''));

  // The changes view: the diff of the hostile feature, its properties as text.
  await page.getByRole('button', { name: 'Changes' }).click();
  await page.waitForSelector('#ed-changes[data-ready="1"]');
  const changes = await page.textContent('#ed-changes');
  assert.ok(changes.includes(HOSTILE_NAME), 'the feature name as text');
  assert.ok(changes.includes(`<img src=x onerror="window.__pwned='ed-note'">`), 'the claim note as text');
  await assertInert(page, 'the changes view');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.waitForFunction(() => /^published:/.test(document.getElementById('editor-panel')?.dataset.last || ''));

  // The history in the feature panel.
  await page.evaluate(() => window.citemap.selectFeature('hostile/hostile-base'));
  await page.waitForSelector('#feature-body .ed-history[data-ready="1"]');
  await assertInert(page, 'the history');
  await shot(page, 'xss-editor.png');
  const errors = rec.errors.filter((e) => !/(HTTP 409|status of 409).*\/sources\)?$/.test(e));
  assert.deepEqual(errors, [], 'console errors');
  assert.deepEqual(rec.dialogs, [], 'no dialog fired');
  await context.close();
});
