// The embed: the dialog's snippet pasted into a page on another origin, the
// embed's flags (static, v, sources, theme), the link to the full map, and
// cooperative gestures on a phone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, launch, mapIdle, newPage, openMap, RECORDER_JS, serverCollections, shot, startHost, startServer } from './helpers.mjs';

let srv;
let host;
let browser;
let version; // the server's current data version, as /collections reports it
let titles; // layer id -> title, as /collections reports them

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

before(async () => {
  srv = await startServer();
  const cols = await serverCollections(srv.base);
  version = cols.version;
  titles = Object.fromEntries(cols.collections.map((c) => [c.id, c.title]));
  host = await startHost('127.0.0.2');
  host.pages.set('/recorder.js', { type: 'text/javascript', body: RECORDER_JS });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await srv?.stop();
});

const ready = () => document.documentElement.dataset.ready === '1';

test('the Embed dialog builds the snippet; pasted into a page on another origin it renders and sizes itself', async () => {
  const { page, context, rec, morePage } = await newPage(browser, srv.base);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
  const hash = '#map=6.5/40.50/45.00&layers=borders,disputed,bases&feature=bases/gyumri-102nd-base&date=2025-01-01';
  await openMap(page, srv.base + '/' + hash);
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  await mapIdle(page);

  // Open it from the keyboard: focus moves into the dialog.
  await page.focus('#btn-embed');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#embed-dialog[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'embed-code');
  assert.ok(await page.evaluate(() => document.getElementById('embed-dialog').matches(':modal')), 'a modal dialog (the page behind is inert)');
  const snippet = await page.inputValue('#embed-code');
  // The server reports its data version, so the snippet pins it by default:
  // a published article never changes under its readers.
  const q = `layers=borders,disputed,bases&amp;view=6.5/40.50/45.00&amp;feature=bases/gyumri-102nd-base&amp;date=2025-01-01&amp;v=${version}`;
  assert.ok(snippet.includes(`<iframe src="${srv.base}/embed?${q}"`), snippet);
  assert.match(snippet, /title="Map: [^"]*102nd Military Base, Gyumri as of 2025-01-01" width="100%" height="480" loading="lazy" allowfullscreen style="border:0"><\/iframe>/);
  assert.ok(snippet.includes(`<noscript><img src="${srv.base}/static/map.png?${q}&amp;width=1200&amp;height=630"`));
  const showing = ['borders', 'disputed', 'bases'].map((id) => titles[id]).join(', ');
  assert.match(snippet, new RegExp(`alt="Map of the South Caucasus and Central Asia centred near 40\\.50°N, 45\\.00°E \\(zoom 6\\.5\\) showing ${escapeRe(showing)}, with [^"]*102nd Military Base, Gyumri highlighted, as it stood on 2025-01-01\\."`));
  assert.ok(snippet.includes(`<figcaption>`) && snippet.includes(`<a href="${srv.base}/?${q}">full map and sources</a>`));
  assert.ok(snippet.endsWith(`<script src="${srv.base}/assets/embed.js" async></script>`));
  // The options change the snippet.
  await page.fill('#embed-height', '520');
  await page.selectOption('#embed-sources', 'count');
  assert.match(await page.inputValue('#embed-code'), /sources=count[^"]*" title="[^"]*" width="100%" height="520"/);
  await page.fill('#embed-height', '480');
  await page.selectOption('#embed-sources', 'panel');
  assert.equal(await page.inputValue('#embed-code'), snippet);
  await shot(page, 'embed-dialog.png');

  // Copy: the clipboard, then the fallback that selects the text.
  await page.click('#embed-copy');
  await page.waitForSelector('#embed-copied[data-how="clipboard"]');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), snippet);
  await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }));
  await page.click('#embed-copy');
  await page.waitForSelector('#embed-copied:not([data-how="clipboard"])');
  assert.deepEqual(await page.evaluate(() => {
    const t = document.getElementById('embed-code');
    return [document.activeElement === t, t.selectionStart, t.selectionEnd];
  }), [true, 0, snippet.length]);
  // Escape closes it and gives the focus back.
  await page.keyboard.press('Escape');
  await page.waitForSelector('#embed-dialog:not([open])', { state: 'attached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'btn-embed');
  assert.ok(!(await page.isHidden('#feature-panel')), 'Escape closed the dialog only');

  // A news page on another loopback origin with the snippet in it.
  host.pages.set('/article.html', {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An article</title><link rel="icon" href="data:,">
<script src="/recorder.js"></script>
<style>body{font:16px/1.5 sans-serif;max-width:720px;margin:20px auto;padding:0 10px}</style></head>
<body><h1>An article about bases</h1><p>Some text before the map.</p>
${snippet}
<p>Some text after the map.</p></body></html>`,
  });
  const hostPage = await morePage();
  await hostPage.setViewportSize({ width: 900, height: 1400 });
  await hostPage.goto(host.base + '/article.html');
  const frameEl = await hostPage.waitForSelector('iframe');
  const frame = await frameEl.contentFrame();
  await frame.waitForFunction(ready);
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.mode), 'map');
  assert.equal(await frame.locator('#map canvas.maplibregl-canvas').count(), 1, 'a map canvas in the frame');
  assert.equal(await frame.locator('.topbar').isVisible(), false, 'no site chrome');
  await frame.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  assert.match(await frame.textContent('#feature-body'), /swiftly denied by Armenia/, 'the quotes are in the embed');
  assert.ok(await frame.evaluate(() => window.citemap.map.cooperativeGestures.isEnabled()), 'cooperative gestures');

  // The embed posted its height; the resize script applied it.
  await hostPage.waitForFunction(() => window.__msgs.some((m) => m.data && m.data.type === 'citemap:resize'));
  await hostPage.waitForFunction(() => {
    const last = window.__msgs.filter((m) => m.data && m.data.type === 'citemap:resize').pop();
    const f = document.querySelector('iframe');
    return Math.round(f.getBoundingClientRect().height) === last.data.height;
  });
  const msgs = await hostPage.evaluate(() => window.__msgs);
  const resize = msgs.filter((m) => m.data?.type === 'citemap:resize');
  const amp = msgs.filter((m) => m.data?.sentinel === 'amp' && m.data?.type === 'embed-size');
  assert.ok(resize.every((m) => m.origin === srv.base), 'messages come from the map server');
  assert.equal(amp.length, resize.length, 'the AMP embed-size message is sent alongside');
  const posted = resize.at(-1).data.height;
  assert.ok(posted > 480, `the open feature panel makes the embed taller than 480 (${posted})`);
  assert.equal(await hostPage.getAttribute('iframe', 'data-citemap-height'), String(posted));
  assert.equal(posted, await frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height)));
  assert.ok(await frame.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), 'nothing to scroll inside the frame');
  const mapH = await frame.evaluate(() => document.getElementById('map').getBoundingClientRect().height);
  assert.ok(mapH > 300 && mapH < 480, `the map keeps the first height less the footer (${mapH})`);

  // Closing the panel shrinks the frame back.
  await frame.click('#feature-close');
  await hostPage.waitForFunction(() => Math.round(document.querySelector('iframe').getBoundingClientRect().height) <= 480);
  assert.equal(await hostPage.evaluate(() => Math.round(document.querySelector('iframe').getBoundingClientRect().height)), 480);
  await frame.evaluate(() => window.citemap.selectFeature('bases/gyumri-102nd-base', { fly: false }));
  await frame.waitForSelector('#feature-panel[data-loaded="1"]');
  await hostPage.waitForFunction((h) => Math.round(document.querySelector('iframe').getBoundingClientRect().height) === h, posted);
  await frame.evaluate(() => new Promise((r) => { const m = window.citemap.map; if (m.loaded() && !m.isMoving()) r(); else m.once('idle', r); }));
  await hostPage.screenshot({ path: new URL('../test-artifacts/embed-host.png', import.meta.url).pathname, fullPage: true });

  // Nothing left the two loopback origins; no errors in either page.
  const foreign = rec.requests.filter((u) => !u.startsWith(srv.base + '/') && !u.startsWith(host.base + '/') && !/^(blob|data):/.test(u));
  assert.deepEqual(foreign, [], 'requests left the two origins');
  assert.deepEqual(rec.errors, [], 'console errors');
  assert.deepEqual(rec.dialogs, [], 'dialogs');
  await context.close();
});

test('the embed: v= pins every data request; "Full map and sources" keeps the state', async () => {
  const { page, context, rec, morePage } = await newPage(browser, srv.base, { viewport: { width: 700, height: 480 } });
  const url = srv.base + `/embed?layers=borders,bases&view=6/40.50/45.00&feature=bases/gyumri-102nd-base&date=2025-01-01&v=${version}`;
  await openMap(page, url);
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  await mapIdle(page);
  const data = rec.requests.filter((u) => /\/(collections|layers|tiles|static)\b/.test(new URL(u).pathname));
  assert.ok(data.length >= 4, `data requests (${data.length})`);
  assert.deepEqual(data.filter((u) => new URL(u).searchParams.get('v') !== String(version)), [], `every data request carries v=${version}`);
  assert.ok(data.some((u) => u.includes(`/collections/bases/items/gyumri-102nd-base?f=json&v=${version}`)));
  assert.deepEqual(rec.requests.filter((u) => /\/(passages|sources)\b/.test(new URL(u).pathname)), [], 'no unversioned evidence requests');
  assert.ok(await page.evaluate(() => window.citemap.map.cooperativeGestures.isEnabled()));
  assert.equal(await page.locator('.maplibregl-ctrl-zoom-in').count(), 1, 'zoom buttons');
  // The compact legend names the two layers.
  assert.deepEqual(await page.locator('.embed-legend li').evaluateAll((els) => els.map((e) => e.dataset.layer)), ['borders', 'bases']);
  // Links in the panel leave the frame.
  const ctx = page.locator('#feature-body a.context-link').first();
  assert.equal(await ctx.getAttribute('target'), '_blank');

  const link = page.locator('#full-link');
  assert.equal(await link.textContent(), 'Full map and sources');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.match(await link.getAttribute('rel'), /noopener/);
  const href = new URL(await link.getAttribute('href'));
  assert.equal(href.origin + href.pathname, srv.base + '/');
  assert.deepEqual(Object.fromEntries(href.searchParams), {
    layers: 'borders,bases', view: '6/40.50/45.00', feature: 'bases/gyumri-102nd-base', date: '2025-01-01', v: String(version),
  });
  // A reader who pans: the link follows.
  await page.evaluate(() => window.citemap.map.jumpTo({ center: [44, 41], zoom: 7 }));
  await page.waitForFunction(() => new URL(document.getElementById('full-link').href).searchParams.get('view') === '7/41.00/44.00');
  await shot(page, 'embed-700x480.png');

  // The full map opens in the same state, still pinned to the version.
  const full = await morePage();
  const before = rec.requests.length;
  await openMap(full, href.href.replace('view=6/40.50/45.00', 'view=6.5/40.50/45.00'));
  await full.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  const s = await full.evaluate(() => ({
    layers: [...window.citemap.state.layers].sort(), feature: window.citemap.state.feature,
    date: document.getElementById('date-input').value, zoom: window.citemap.map.getZoom(), c: window.citemap.map.getCenter(),
    url: location.pathname + location.search + location.hash,
  }));
  assert.deepEqual(s.layers, ['bases', 'borders']);
  assert.equal(s.feature, 'bases/gyumri-102nd-base');
  assert.equal(s.date, '2025-01-01');
  assert.ok(Math.abs(s.zoom - 6.5) < 0.01 && Math.abs(s.c.lat - 40.5) < 0.01 && Math.abs(s.c.lng - 45) < 0.01, JSON.stringify(s));
  assert.equal(s.url, `/?v=${version}#map=6.5/40.50/45.00&layers=borders,bases&feature=bases/gyumri-102nd-base&date=2025-01-01`);
  const fullData = rec.requests.slice(before).filter((u) => /\/(collections|layers)\b/.test(new URL(u).pathname));
  assert.deepEqual(fullData.filter((u) => new URL(u).searchParams.get('v') !== String(version)), [], `the full map stays on v=${version}`);
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('the embed: static=1 takes no pan, zoom or click; theme=dark; sources=count shows a count and a link', async () => {
  const { page, context, rec, morePage } = await newPage(browser, srv.base, { viewport: { width: 640, height: 420 } });
  await openMap(page, srv.base + '/embed?view=7/40.50/44.20&static=1&theme=dark&legend=0');
  await mapIdle(page);
  const before = await page.evaluate(() => ({ c: window.citemap.map.getCenter(), z: window.citemap.map.getZoom() }));
  assert.equal(await page.evaluate(() => document.documentElement.dataset.embed), 'static');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await page.locator('.maplibregl-ctrl-zoom-in').count(), 0, 'no zoom buttons');
  assert.equal(await page.locator('.embed-legend').count(), 0, 'legend=0');
  assert.deepEqual(await page.evaluate(() => {
    const m = window.citemap.map;
    return [m.dragPan.isEnabled(), m.scrollZoom.isEnabled(), m.boxZoom.isEnabled(), m.touchZoomRotate.isEnabled()];
  }), [false, false, false, false]);
  // Drag, wheel and a click on the Gyumri base: nothing moves, nothing opens.
  const pt = await page.evaluate(() => {
    const p = window.citemap.map.project(window.citemap.features.get('bases/gyumri-102nd-base').geometry.coordinates);
    const r = window.citemap.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  });
  await page.mouse.move(320, 200);
  await page.mouse.down();
  await page.mouse.move(200, 120, { steps: 5 });
  await page.mouse.up();
  await page.mouse.wheel(0, -600);
  await page.mouse.click(pt.x, pt.y);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const afterMove = await page.evaluate(() => ({ c: window.citemap.map.getCenter(), z: window.citemap.map.getZoom() }));
  assert.deepEqual(afterMove, before, 'the view did not move');
  assert.ok(await page.isHidden('#feature-panel'), 'no panel');
  await shot(page, 'embed-static-dark.png');

  // sources=count: a click shows the name, the number of sources and a link.
  const page2 = await morePage();
  await page2.setViewportSize({ width: 640, height: 420 });
  await openMap(page2, srv.base + '/embed?view=7/40.50/44.20&sources=count&layers=bases');
  await mapIdle(page2);
  const pt2 = await page2.evaluate(() => {
    const p = window.citemap.map.project(window.citemap.features.get('bases/gyumri-102nd-base').geometry.coordinates);
    const r = window.citemap.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  });
  await page2.mouse.click(pt2.x, pt2.y);
  await page2.waitForSelector('#embed-info[data-feature="bases/gyumri-102nd-base"]:not([hidden])');
  const n = await page2.evaluate(() => window.citemap.features.get('bases/gyumri-102nd-base').props.source_count);
  assert.equal(await page2.getAttribute('#embed-info .embed-count', 'data-count'), String(n));
  assert.match(await page2.textContent('#embed-info'), new RegExp(`102nd Military Base, Gyumri.* · ${n} source${n === 1 ? '' : 's'}\\b`));
  const info = new URL(await page2.getAttribute('#embed-info a', 'href'));
  assert.equal(info.searchParams.get('feature'), 'bases/gyumri-102nd-base');
  assert.ok(await page2.isHidden('#feature-panel'), 'no quotes with sources=count');
  assert.match(new URL(await page2.getAttribute('#full-link', 'href')).search, /feature=bases\/gyumri-102nd-base/);
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('the embed on a phone: one finger scrolls the page (cooperative gestures), two move the map', async () => {
  const { page, context, rec } = await newPage(browser, srv.base, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.setViewportSize({ width: 390, height: 420 });
  await openMap(page, srv.base + '/embed?view=5.5/40.80/45.00&layers=borders,disputed,bases,corridors');
  await mapIdle(page);
  assert.ok(await page.evaluate(() => window.citemap.map.cooperativeGestures.isEnabled()));
  assert.match(await page.textContent('.maplibregl-cooperative-gesture-screen .maplibregl-mobile-message'), /two fingers/i);
  const before = await page.evaluate(() => window.citemap.map.getCenter());
  // A one-finger drag on the map.
  const cdp = await context.newCDPSession(page);
  const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points });
  await touch('touchStart', [{ x: 200, y: 150 }]);
  for (const y of [170, 190, 210, 230]) await touch('touchMove', [{ x: 200, y }]);
  await touch('touchEnd', []);
  await page.waitForFunction(() => window.citemap.gesturesBlocked > 0);
  const after = await page.evaluate(() => window.citemap.map.getCenter());
  assert.deepEqual(after, before, 'one finger did not pan the map');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no horizontal scroll');
  await shot(page, 'embed-phone.png');
  assertClean(assert, rec, srv.base);
  await context.close();
});
