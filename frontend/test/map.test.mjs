// The map in a real browser against a real server with the bundled data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, assertClean, browserSettled, launch, mapIdle, newPage, openMap, serverCollections, serverJSON, shot, startServer } from './helpers.mjs';

let srv;
let browser;

before(async () => {
  srv = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('first load: the map renders, nothing leaves the origin, no console errors; LOAD figures', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  // Count the bytes on the wire (compressed) with the DevTools protocol.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  const byURL = new Map();
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    const u = (urls.get(e.requestId) || '?').replace(srv.base, '');
    byURL.set(u, (byURL.get(u) || 0) + e.encodedDataLength);
  });

  // MapLibre fetches tiles from its web worker, which the page's DevTools
  // session does not see: those are counted from Playwright's events.
  const finished = [];
  page.on('requestfinished', (r) => finished.push(r));
  // The first render is the reader's, against a server that is up and in a
  // browser that has started: not one still warming its layers, nor one
  // still loading its own pages (browserSettled), on the same two cores.
  await srv.ready();
  await browserSettled(browser);
  await openMap(page, srv.base + '/');
  // The frame after the first: the first is on screen (see watchFirstFrames).
  const shownMs = await page.evaluate(() => window.citemap.firstFrameShown.then(() => window.citemap.marks['first-frame-shown']));
  await mapIdle(page);
  const seen = new Set(urls.values());
  for (const r of finished) {
    if (seen.has(r.url())) continue;
    const n = (await r.sizes()).responseBodySize + (await r.sizes()).responseHeadersSize;
    bytes += n;
    const u = r.url().replace(srv.base, '');
    byURL.set(u, (byURL.get(u) || 0) + n);
  }
  const info = await page.evaluate(() => ({
    mode: document.documentElement.dataset.mode,
    firstRenderMs: window.citemap.firstRenderMs,
    idleMs: window.citemap.marks.idle,
    dataMs: window.citemap.marks.data,
    mapLoadMs: window.citemap.marks['map-load'],
    canvas: !!document.querySelector('#map canvas.maplibregl-canvas'),
    canvasSize: (() => { const c = document.querySelector('#map canvas'); return c ? [c.width, c.height] : null; })(),
    rendered: window.citemap.map.queryRenderedFeatures().length,
    land: window.citemap.map.queryRenderedFeatures({ layers: ['basemap-land'] }).length,
  }));
  assert.equal(info.mode, 'map');
  assert.ok(info.canvas, 'a map canvas');
  assert.ok(info.canvasSize[0] > 300 && info.canvasSize[1] > 300, 'canvas has a size');
  assert.ok(info.land > 5, `basemap countries drawn (${info.land})`);
  assert.ok(info.rendered > 30, `features drawn (${info.rendered})`);
  // The default view stays inside the basemap, as the server bounds it: no grey band.
  const bm = (await serverJSON(srv.base, '/layers/basemap.geojson')).bbox;
  assert.ok(Array.isArray(bm) && bm.length === 4, 'the basemap download states its bbox');
  const b = await page.evaluate(() => window.citemap.map.getBounds().toArray().flat());
  assert.ok(b[0] >= bm[0] - 0.01 && b[1] >= bm[1] - 0.01 && b[2] <= bm[2] + 0.01 && b[3] <= bm[3] + 0.01,
    `default view (${b.map((x) => x.toFixed(2))}) inside the basemap (${bm})`);
  // The fills and lines share the cited layers' shader programs: no colour
  // is a constant (sharedPrograms), or MapLibre compiles one program more
  // per kind before the first frame.
  const constant = await page.evaluate(() => window.citemap.map.getStyle().layers
    .filter((l) => (l.type === 'fill' && !l.paint?.['fill-pattern']) || l.type === 'line')
    .filter((l) => ['fill-color', 'fill-outline-color', 'line-color'].some((k) => typeof l.paint?.[k] === 'string'))
    .map((l) => l.id));
  assert.deepEqual(constant, [], 'fill and line layers with a constant colour');
  // No frame draws MapLibre's default sky (skipSky): a pass over the whole
  // canvas and a program of its own, for a sky the map never shows.
  const programs = await page.evaluate(() => Object.keys(window.citemap.map.painter.programCache.programs).map((k) => k.split('/')[0]));
  assert.ok(programs.includes('fill') && programs.includes('symbolSDF'), `programs compiled: ${programs}`);
  assert.ok(!programs.includes('sky'), `the sky is drawn: programs ${programs}`);
  // The map is made with validateStyle: false (createMap): the style it
  // runs is checked here instead, against the style specification.
  const style = await page.evaluate(() => window.citemap.map.getStyle());
  assert.ok(style.layers.length > 30, `the live style has its layers (${style.layers.length})`);
  assert.deepEqual(validateStyleMin(style).map((e) => e.message), [], 'the live style breaks the style specification');
  assert.ok(bytes > 0);
  // The first load's budget on the wire (compressed, cache disabled): the
  // map, its fonts, the small layers' GeoJSON and the tiles in view (the
  // basemap and large layers are drawn from vector tiles).
  const PAGE_BUDGET = 700 * 1000;
  assert.ok(bytes <= PAGE_BUDGET, `first load of / moved ${bytes} bytes, over the ${PAGE_BUDGET}-byte budget; largest: ${[...byURL.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([u, n]) => `${u.split('?')[0]}=${n}`).join(' ')}`);

  // The labels' glyphs come ready-made from the glyph files served with
  // the page (tools/glyphs), both font stacks, not drawn from font files on
  // the main thread.
  for (const stack of ['Regular', 'Bold']) {
    assert.ok(rec.requests.some((u) => new RegExp(`/assets/glyphs-[0-9a-f]+/Noto%20Sans%20${stack}/0-255\\.pbf$`).test(u)),
      `no glyph file of Noto Sans ${stack} fetched: ${rec.requests.filter((u) => /glyph|woff/.test(u))}`);
  }

  // A reader pays nothing for the editor: its chunk is never fetched, and
  // nobody asks who is signed in.
  const editorChunks = rec.requests.filter((u) => /\/assets\/editor-[A-Za-z0-9]+\.js$/.test(u));
  assert.deepEqual(editorChunks, [], 'a reader downloads the editor chunk');
  assert.ok(!rec.requests.some((u) => new URL(u).pathname === '/session'), 'a reader asks for a session');

  const top = [...byURL.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([u, n]) => `${u.split('?')[0]}=${n}`).join(' ');
  console.log(`LOAD bytes=${bytes} first_render_ms=${info.firstRenderMs} idle_ms=${info.idleMs} requests=${rec.requests.length}`);
  console.log(`LOAD largest: ${top}`);
  const parts = new Map();
  for (const [u, n] of byURL) {
    if (u.startsWith('data:')) continue;
    const part = u.startsWith('/tiles/') ? `tiles:${u.split('/')[2]}` : u.startsWith('/layers/') ? 'layers' : u.startsWith('/assets/') ? u.replace(/^\/assets\/([a-z]+).*\.([a-z0-9]+)$/, '$1.$2') : u.split('?')[0];
    parts.set(part, (parts.get(part) || 0) + n);
  }
  console.log(`LOAD parts: ${[...parts.entries()].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p}=${n}`).join(' ')}`);
  // The first render, measured from navigation: the first frame with every
  // geometry source loaded (issued by MapLibre, and shown: the next frame
  // begins once it is committed), and MapLibre's first 'idle' after the
  // layers were added (everything drawn, labels included). Reported, not asserted: the
  // figure depends on the machine (software GL here).
  // The machine's load average goes with it: on a shared CI box it explains
  // most of the spread.
  const load = Math.round(loadavg()[0] * 10) / 10;
  assert.ok(Number.isFinite(shownMs) && shownMs >= info.firstRenderMs, `first frame shown at ${shownMs} ms, issued at ${info.firstRenderMs} ms`);
  console.log(`FIRST_RENDER navigation_to_first_frame_ms=${info.firstRenderMs} navigation_to_first_frame_shown_ms=${shownMs} navigation_to_idle_ms=${info.idleMs} data_ms=${info.dataMs} map_load_ms=${info.mapLoadMs} loadavg_1m=${load}`);
  writeFileSync(join(artifacts, 'first-render.json'), JSON.stringify({
    navigation_to_first_frame_ms: info.firstRenderMs, navigation_to_first_frame_shown_ms: shownMs, navigation_to_idle_ms: info.idleMs, data_ms: info.dataMs, map_load_ms: info.mapLoadMs, bytes, loadavg_1m: load,
  }, null, 2) + '\n');
  await shot(page, 'desktop.png');
  assertClean(assert, rec, srv.base);
  // The first load logs no warning either: MapLibre warns once per source
  // layer of tiles that do not follow version 2 of the vector tile spec.
  // Chrome's own notes on software GL read-backs ("GPU stall due to
  // ReadPixels", the screenshot's) are the browser's, not the page's.
  assert.deepEqual(rec.warnings.filter((w) => !w.startsWith('[.WebGL-')), [], 'console warnings');
  // The country areas, 12 features but 330 KB of geometry, come as tiles:
  // the server marks them tiled, and they are never downloaded whole.
  const paths = rec.requests.map((u) => new URL(u).pathname);
  assert.ok(!paths.includes('/layers/countries.geojson'), 'the country areas were downloaded whole');
  assert.ok(paths.some((p) => p.startsWith('/tiles/countries/')), 'no tile of the country areas was fetched');
  assert.ok(paths.includes('/layers/disputed.geojson'), 'a small layer comes whole');
  await context.close();
});

test('the layer panel toggles a layer off and on', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/#map=6/41.00/44.50');
  await mapIdle(page);
  // The held layers share style layers: a base is known by its _layer.
  const count = () => page.evaluate(() => window.citemap.map.queryRenderedFeatures({
    layers: window.citemap.styleLayers.filter((s) => s.layers.includes('bases') && s.interactive).map((s) => s.id),
  }).filter((f) => f.properties._layer === 'bases').length);
  assert.ok(await count() >= 2, 'bases drawn before');
  // The legend shows the count.
  assert.equal(await page.textContent('#count-bases'), '2');
  await page.uncheck('#layer-toggle-bases');
  await mapIdle(page);
  assert.equal(await count(), 0, 'no base drawn when the layer is off');
  // Every other layer the server has stays on, in its order.
  const others = (await serverCollections(srv.base)).collections.map((c) => c.id).filter((id) => id !== 'bases');
  assert.ok(others.length > 0);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`layers=${others.join(',')}(&|$)`));
  // The list view follows the same layers.
  await page.click('#btn-list');
  await page.waitForSelector('#list-body .list-feature');
  assert.equal(await page.locator('#list-body [data-key^="bases/"]').count(), 0);
  await page.check('#layer-toggle-bases');
  await mapIdle(page);
  assert.ok(await count() >= 2, 'bases drawn again');
  await page.waitForSelector('#list-body [data-key="bases/gyumri-102nd-base"]');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('clicking the Gyumri base shows the report (supports) and the denial (contradicts)', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/#map=7/40.50/44.20');
  await mapIdle(page);
  const pt = await page.evaluate(() => {
    const f = window.citemap.features.get('bases/gyumri-102nd-base');
    const p = window.citemap.map.project(f.geometry.coordinates);
    const r = window.citemap.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  });
  await page.mouse.click(pt.x, pt.y);
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  assert.match(await page.textContent('#feature-title'), /102nd Military Base, Gyumri/);
  // p004-06 backs both the base's existence and the reported reinforcement.
  assert.equal(await page.locator('#feature-body .claim[data-passage="p004-06"]').count(), 2);
  const report = page.locator('#feature-body .claim[data-passage="p004-06"][data-aspect="reinforcement_2025"]');
  assert.equal(await report.getAttribute('data-relation'), 'supports');
  assert.equal(await report.getAttribute('data-aspect'), 'reinforcement_2025');
  assert.match(await report.textContent(), /Ukrainian Military Intelligence Service on July 5, 2025/);
  const denial = page.locator('#feature-body .claim[data-passage="p004-07"]');
  assert.equal(await denial.getAttribute('data-relation'), 'contradicts');
  assert.match(await denial.locator('.badge-contradicts').textContent(), /contradicts/);
  // "these claims" points back at p004-06: the denial is inferred, and says so.
  assert.equal(await denial.locator('.badge-inferred').count(), 1);
  assert.match(await denial.textContent(), /swiftly denied by Armenia/);
  // Source, local names, status, precision, and the way to the source reader.
  const body = await page.textContent('#feature-body');
  assert.match(body, /Also: 102nd military base · Gyumri base/);
  assert.match(body, /Status/);
  assert.match(body, /town \(the nearest town/);
  const href = await report.locator('a.context-link').getAttribute('href');
  assert.equal(href, '/sources/004_70ff61cf739652f9#passage-p004-06');
  assert.match(await page.evaluate(() => location.hash), /feature=bases\/gyumri-102nd-base/);
  await shot(page, 'panel-open.png');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('search finds the TRIPP corridor from "Zangezur" (and aliases, diacritics, passages)', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/');
  await page.fill('#search-input', 'Zangezur');
  const first = page.locator('#search-results .result').first();
  await first.waitFor();
  assert.equal(await first.getAttribute('data-key'), 'corridors/zangezur-corridor-tripp');
  // Other spellings, any case, with or without diacritics.
  for (const [q, key] of [['zangazur', 'corridors/zangezur-corridor-tripp'], ['TRIPP', 'corridors/zangezur-corridor-tripp'],
    ['nakhichevan', 'countries/nakhchivan-ar'], ['Garabagh', 'disputed/nagorno-karabakh'], ['Laçın', 'corridors-context/lachin-corridor'],
    ['lacin', 'corridors-context/lachin-corridor'], ['dogukapi', 'borders-context/armenia-turkiye-border']]) {
    await page.fill('#search-input', q);
    await page.waitForSelector(`#search-results .result-feature[data-key="${key}"]`);
  }
  // Passage text.
  await page.fill('#search-input', 'swiftly denied');
  await page.waitForSelector('#search-results .result-passage[data-key="bases/gyumri-102nd-base"]');
  // Choosing a result flies to the feature and opens it (keyboard).
  await page.fill('#search-input', 'Zangezur');
  await page.waitForSelector('#search-results .result-feature[data-key="corridors/zangezur-corridor-tripp"]');
  await page.press('#search-input', 'ArrowDown');
  await page.press('#search-input', 'Enter');
  await page.waitForSelector('#feature-panel[data-feature="corridors/zangezur-corridor-tripp"][data-loaded="1"]');
  await mapIdle(page);
  const center = await page.evaluate(() => window.citemap.map.getCenter());
  assert.ok(Math.abs(center.lng - 46.1) < 1.5 && Math.abs(center.lat - 39.1) < 1.5, `flew to Meghri (${center.lng}, ${center.lat})`);
  assert.ok(await page.evaluate(() => window.citemap.map.getZoom()) > 6.5);
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('the permalink restores view, layers, feature and date after reload', async () => {
  const { page, context, rec, morePage } = await newPage(browser, srv.base);
  const hash = '#map=6.5/40.50/45.00&layers=borders,disputed,bases&feature=bases/gyumri-102nd-base&date=2025-01-01';
  await openMap(page, srv.base + '/' + hash);
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  const check = async () => {
    const s = await page.evaluate(() => ({
      zoom: window.citemap.map.getZoom(),
      center: window.citemap.map.getCenter(),
      layers: [...window.citemap.state.layers],
      feature: window.citemap.state.feature,
      date: document.getElementById('date-input').value,
      corridorsOn: document.getElementById('layer-toggle-corridors').checked,
      hash: location.hash,
    }));
    assert.ok(Math.abs(s.zoom - 6.5) < 0.01, `zoom ${s.zoom}`);
    assert.ok(Math.abs(s.center.lat - 40.5) < 0.01 && Math.abs(s.center.lng - 45) < 0.01);
    assert.deepEqual(s.layers.sort(), ['bases', 'borders', 'disputed']);
    assert.equal(s.feature, 'bases/gyumri-102nd-base');
    assert.equal(s.date, '2025-01-01');
    assert.equal(s.corridorsOn, false);
    return s;
  };
  const s1 = await check();
  assert.equal(s1.hash, hash);
  // The date filter: peacekeepers (2020-11 → 2024) are gone on 2025-01-01, back on 2022-06-01.
  assert.equal(await page.textContent('#count-bases'), '1 of 2');
  await page.fill('#date-input', '2022-06-01');
  await page.dispatchEvent('#date-input', 'change');
  assert.equal(await page.textContent('#count-bases'), '2');
  assert.equal(await page.textContent('#count-disputed'), '3 of 4', 'the 1994–2020 Nagorno-Karabakh line ended 2020-11-10');
  await page.fill('#date-input', '2025-01-01');
  await page.dispatchEvent('#date-input', 'change');
  assert.equal(await page.textContent('#count-disputed'), '3 of 4');
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  await check();

  // A hash with only feature= flies to the feature.
  const page2 = await morePage();
  await openMap(page2, srv.base + '/#feature=corridors-context/lachin-corridor');
  await page2.waitForSelector('#feature-panel[data-feature="corridors-context/lachin-corridor"][data-loaded="1"]');
  await mapIdle(page2);
  const v = await page2.evaluate(() => ({ c: window.citemap.map.getCenter(), z: window.citemap.map.getZoom(), hash: location.hash }));
  assert.ok(v.z > 6, `zoomed in (${v.z})`);
  assert.ok(Math.abs(v.c.lng - 46.5) < 1.5 && Math.abs(v.c.lat - 39.6) < 1.5, `centred on Lachin (${v.c.lng}, ${v.c.lat})`);
  assert.match(v.hash, /^#map=.*feature=corridors-context\/lachin-corridor/);
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('the list view shows features with passages and is keyboard-navigable', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/');
  await page.click('#btn-list');
  await page.waitForSelector('#list-body .list-feature .list-evidence');
  // Headings for the layers, buttons for the features.
  // One heading per layer switched on, and every feature of those layers:
  // the counts come from the server, not from this file.
  const { collections } = await serverCollections(srv.base);
  const on = await page.evaluate(() => [...window.citemap.state.layers]);
  const shown = collections.filter((c) => on.includes(c.id));
  assert.ok(shown.length > 0, `layers switched on: ${on}`);
  assert.equal(await page.locator('#list-body h3').count(), shown.length);
  assert.equal(await page.getAttribute('#btn-list', 'aria-pressed'), 'true');
  const n = Number(await page.getAttribute('#list-body', 'data-count'));
  const items = shown.reduce((sum, c) => sum + c.itemCount, 0);
  assert.ok(items > 0, 'the shown layers have features');
  assert.equal(n, items, `features listed vs itemCount of ${shown.map((c) => c.id)}`);
  const gy = page.locator('#list-body .list-feature[data-key="bases/gyumri-102nd-base"]');
  await gy.locator('summary').click();
  assert.match(await gy.locator('.list-evidence').textContent(), /swiftly denied by Armenia/);
  assert.equal(await gy.locator('.claim[data-passage="p004-07"]').getAttribute('data-relation'), 'contradicts');
  // Keyboard: focus the first feature button, arrow down, Enter opens it.
  const buttons = page.locator('#list-body .feature-btn');
  await buttons.nth(0).focus();
  await page.keyboard.press('ArrowDown');
  const second = await buttons.nth(1).getAttribute('data-key');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.key), second);
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.key), await buttons.last().getAttribute('data-key'));
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#feature-panel[data-feature="${second}"][data-loaded="1"]`);
  assert.match(await page.evaluate(() => location.hash), /view=list/);
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('phone (390x844): no horizontal scroll, the panel is a bottom sheet', async () => {
  const { page, context, rec } = await newPage(browser, srv.base, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openMap(page, srv.base + '/');
  await mapIdle(page);
  await shot(page, 'phone.png');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
  assert.equal(await page.getAttribute('#btn-layers', 'aria-expanded'), 'false', 'layers start folded on a phone');
  await page.evaluate(() => window.citemap.selectFeature('bases/gyumri-102nd-base'));
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  await mapIdle(page);
  const box = await page.locator('#feature-panel').boundingBox();
  assert.ok(Math.abs(box.x) < 1 && Math.abs(box.width - 390) < 1, `full width (${box.x}, ${box.width})`);
  assert.ok(Math.abs(box.y + box.height - 844) < 1, `at the bottom (${box.y + box.height})`);
  assert.ok(box.height <= 844 * 0.6 + 1, `a sheet, not the whole screen (${box.height})`);
  // The map stays visible above the sheet, with the selected base on it.
  const mapBox = await page.locator('#map').boundingBox();
  assert.ok(mapBox.height > 250, `map above the sheet (${mapBox.height})`);
  const p = await page.evaluate(() => window.citemap.map.project(window.citemap.features.get('bases/gyumri-102nd-base').geometry.coordinates));
  assert.ok(mapBox.y + p.y < box.y && p.y > 0 && p.x > 0 && p.x < 390, 'feature not hidden under the sheet');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
  await shot(page, 'phone-panel.png');
  // Layers and list open without widening the page.
  await page.click('#btn-layers');
  assert.ok(await page.locator('#layers-panel').isVisible());
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
  await page.click('#btn-layers');
  await page.click('#btn-list');
  await page.waitForSelector('#list-body .list-feature');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
  await shot(page, 'phone-list.png');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('search and the list find features of a layer drawn from tiles, through the server', async () => {
  // 1,200 points (over the tiling threshold) south-west of Yerevan; one
  // has an alias that only the server can find.
  const dir = mkdtempSync(join(tmpdir(), 'citemap-search-'));
  const features = [];
  for (let i = 0; i < 1200; i++) {
    features.push({
      type: 'Feature', id: `p-${String(i).padStart(4, '0')}`,
      geometry: { type: 'Point', coordinates: [+(43.6 + (i % 40) * 0.02).toFixed(5), +(39.6 + Math.floor(i / 40) * 0.02).toFixed(5)] },
      properties: { name: `Grid point ${i}`, status: 'active', ...(i === 1117 ? { aliases: 'Zvartnots test marker' } : {}), claims: [{ passage: 'p004-01', aspect: 'existence', relation: 'supports', basis: 'explicit' }] },
    });
  }
  const file = join(dir, 'grid.geojson');
  writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', layer: { id: 'grid', title: 'Grid', kind: 'events' }, features }));
  const gridSrv = await startServer({ imports: [{ file, layer: 'grid' }] });
  try {
    const { page, context, rec } = await newPage(browser, gridSrv.base);
    await openMap(page, gridSrv.base + '/#map=9/39.75/43.90');
    assert.equal(await page.evaluate(() => window.citemap.features.has('grid/p-1117')), false, 'the app does not hold the tiled layer');
    // Search: the alias is found by the server, shown with the feature's name.
    await page.fill('#search-input', 'zvartnots');
    const result = page.locator('#search-results [data-key="grid/p-1117"]');
    await result.waitFor();
    assert.match(await result.textContent(), /Grid point 1117.*Zvartnots test marker/);
    await result.click();
    await page.waitForFunction(() => document.getElementById('feature-title').textContent === 'Grid point 1117');
    assert.match(await page.evaluate(() => location.hash), /feature=grid\/p-1117/);
    // The list: the tiled layer's features in view, from the server's items.
    await page.click('#feature-close');
    await page.click('#btn-list');
    await page.waitForSelector('#list-body section[data-tiled="1"] [data-key^="grid/"]');
    const count = await page.textContent('#list-h-grid .count');
    assert.match(count, /^\(100 in view of \d+\)$/, count);
    assert.ok(!rec.requests.some((u) => new URL(u).pathname === '/layers/grid.geojson'), 'the tiled layer is never downloaded whole');
    assert.ok(rec.requests.some((u) => new URL(u).pathname === '/search'), 'the server was asked');
    assertClean(assert, rec, gridSrv.base);
    await context.close();
  } finally {
    await gridSrv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
