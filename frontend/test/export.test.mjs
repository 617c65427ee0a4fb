// The static export (mapserver export-site) served by real nginx, as a
// static host serves it: the reader's checks run against the files, with
// no server behind them. Nothing may ask for a query URL (a static host
// ignores queries), leave the origin, or get a 4xx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FetchSource, PMTiles } from 'pmtiles';
import { assertClean, launch, mapIdle, newPage, openMap, repoRoot, shot, startServer } from './helpers.mjs';

const NGINX = '/usr/sbin/nginx';
const MAX_ZOOM = 5;
const PAGE_SIZE = 5; // features per exported items page: the bundled layers then span several

let work;
let site; // the exported folder
let nginx; // {base, stop()}
let live; // the server the export was made from, to compare with
let browser;
let collections; // collections.json of the export, basemap left out

/** A free loopback port (closed again: nginx binds it next). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Resolves when something accepts connections on port; polls a port, times no result. */
async function accepting(port, proc) {
  for (;;) {
    if (proc.exitCode !== null) return false;
    const ok = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Debian's nginx serving dir as a plain static host on loopback port, its
 * configuration and logs in work → {base, stop()}, or null when it would
 * not start (the port was taken).
 */
async function startNginx(dir, port, work) {
  const conf = join(work, 'nginx.conf');
  writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  types { application/geo+json geojson; application/geopackage+sqlite3 gpkg; text/csv csv; application/vnd.pmtiles pmtiles; }
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${dir};
    # The folders of the OGC API (/collections, /conformance, a layer's
    # items) hold index.json; the map and the reader index.html.
    index index.html index.json;
  }
}
`);
  const proc = spawn(NGINX, ['-p', work, '-e', join(work, 'error.log'), '-c', conf], { stdio: 'ignore' });
  if (!(await accepting(port, proc))) return null;
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGQUIT');
        await exited;
      }
    },
  };
}

before(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing (Debian package nginx)`);
  const bin = process.env.MAPSERVER || join(repoRoot, 'bin', 'mapserver');
  work = mkdtempSync(join(tmpdir(), 'citemap-export-'));
  const db = join(work, 'map.db');
  site = join(work, 'site');
  execFileSync(bin, ['import', join(repoRoot, 'data'), '--db', db], { stdio: 'pipe' });
  // The site is exported for the address nginx serves it at, so that a
  // GIS client can follow its absolute links (next, prev, items).
  for (let attempt = 0; attempt < 3 && !nginx; attempt++) {
    const port = await freePort();
    execFileSync(bin, ['export-site', site, '--replace', '--base-url', `http://127.0.0.1:${port}`, '--max-zoom', String(MAX_ZOOM),
      '--page-size', String(PAGE_SIZE), '--db', db], { stdio: 'pipe' });
    nginx = await startNginx(site, port, work);
  }
  if (!nginx) throw new Error('nginx would not start');
  live = await startServer();
  browser = await launch();
  const res = await fetch(nginx.base + '/collections.json');
  collections = (await res.json()).collections.filter((c) => c.kind !== 'basemap');
});

after(async () => {
  await browser?.close();
  await live?.stop();
  await nginx?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Requests that carry a query string: a static host would ignore it. */
const withQuery = (rec) => rec.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).search);

test('the exported map renders from nginx: no query URLs, nothing leaves the origin, no 4xx', async () => {
  const { page, context, rec } = await newPage(browser, nginx.base);
  await openMap(page, nginx.base + '/');
  await mapIdle(page);
  const info = await page.evaluate(() => ({
    mode: document.documentElement.dataset.mode,
    status: document.getElementById('status').textContent,
    rendered: window.citemap.map.queryRenderedFeatures().length,
    land: window.citemap.map.queryRenderedFeatures({ layers: ['basemap-land'] }).length,
    layers: window.citemap.collections.length,
  }));
  assert.equal(info.mode, 'map', info.status);
  assert.equal(info.layers, collections.length, 'every exported layer is listed');
  assert.ok(info.land > 5, `basemap countries drawn (${info.land})`);
  assert.ok(info.rendered > 30, `features drawn (${info.rendered})`);
  assert.deepEqual(withQuery(rec), [], 'requests with a query string');
  assert.ok(rec.requests.some((u) => u.endsWith('/collections.json')), 'the map read collections.json');
  // The basemap is drawn from tiles: out of its PMTiles archive, by range requests.
  assert.ok(rec.requests.some((u) => u === `${nginx.base}/tiles/basemap.pmtiles`), 'the map read the basemap archive');
  await shot(page, 'export-desktop.png');
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('the panel shows the quotes, its links lead to the feature GeoJSON and the source reader', async () => {
  const { page, context, rec } = await newPage(browser, nginx.base);
  await openMap(page, nginx.base + '/#map=7/40.50/44.20');
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
  const report = page.locator('#feature-body .claim[data-passage="p004-06"][data-aspect="reinforcement_2025"]');
  assert.equal(await report.getAttribute('data-relation'), 'supports');
  assert.match(await report.textContent(), /Ukrainian Military Intelligence Service on July 5, 2025/);
  const denial = page.locator('#feature-body .claim[data-passage="p004-07"]');
  assert.equal(await denial.getAttribute('data-relation'), 'contradicts');
  assert.match(await denial.textContent(), /swiftly denied by Armenia/);

  // Every link of the panel is a file the static host serves.
  const hrefs = await page.$$eval('#feature-body a[href]', (as) => as.map((a) => a.href).filter((h) => h.startsWith(location.origin)));
  assert.ok(hrefs.length >= 3, `panel links: ${hrefs}`);
  for (const href of hrefs) {
    const res = await fetch(href.split('#')[0]);
    assert.equal(res.status, 200, `${href}: ${res.status}`);
    assert.equal(new URL(href).search, '', `${href} carries a query`);
  }
  const geojson = await page.getAttribute('#feature-body a:text("this feature as GeoJSON")', 'href');
  const item = await (await fetch(new URL(geojson, nginx.base))).json();
  assert.equal(item.id, 'gyumri-102nd-base');

  // "Read in context" opens the source reader at the passage.
  const context_href = await report.locator('a.context-link').getAttribute('href');
  assert.equal(context_href, '/sources/004_70ff61cf739652f9/#passage-p004-06');
  await report.locator('a.context-link').click();
  await page.waitForURL('**/sources/004_70ff61cf739652f9/#passage-p004-06');
  await page.waitForSelector('mark[data-passages~="p004-06"]');
  assert.match(await page.textContent('h1'), /./);
  assert.equal(await page.locator('#passage-p004-06').count(), 1);
  // The reader's links back to the map's features stay on the site.
  const back = await page.$$eval('sup.backs a[href]', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(back.includes('/#feature=bases/gyumri-102nd-base'), `links back: ${back.slice(0, 5)}`);
  assert.deepEqual(withQuery(rec), [], 'requests with a query string');
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('search finds features and passages from the exported files', async () => {
  const { page, context, rec } = await newPage(browser, nginx.base);
  await openMap(page, nginx.base + '/');
  await page.fill('#search-input', 'Zangezur');
  const first = page.locator('#search-results .result').first();
  await first.waitFor();
  assert.equal(await first.getAttribute('data-key'), 'corridors/zangezur-corridor-tripp');
  await page.fill('#search-input', 'swiftly denied');
  await page.waitForSelector('#search-results .result-passage[data-key="bases/gyumri-102nd-base"]');
  assert.ok(rec.requests.some((u) => u.endsWith('/passages.json')), 'passages.json was read');
  assert.deepEqual(withQuery(rec), [], 'requests with a query string');
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('the list view lists every feature of the layers shown, with passages', async () => {
  const { page, context, rec } = await newPage(browser, nginx.base);
  await openMap(page, nginx.base + '/');
  await page.click('#btn-list');
  await page.waitForSelector('#list-body .list-feature .list-evidence');
  const on = await page.evaluate(() => [...window.citemap.state.layers]);
  const items = collections.filter((c) => on.includes(c.id)).reduce((sum, c) => sum + c.itemCount, 0);
  assert.ok(items > 0);
  assert.equal(Number(await page.getAttribute('#list-body', 'data-count')), items);
  const gy = page.locator('#list-body .list-feature[data-key="bases/gyumri-102nd-base"]');
  await gy.locator('summary').click();
  assert.match(await gy.locator('.list-evidence').textContent(), /swiftly denied by Armenia/);
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('every download of the layer panel is served', async () => {
  const { page, context, rec } = await newPage(browser, nginx.base);
  await openMap(page, nginx.base + '/');
  const links = await page.$$eval('#layer-list a[href]', (as) => as.map((a) => a.href));
  assert.ok(links.length >= collections.length * 3, `download links: ${links.length}`);
  for (const href of links) {
    assert.ok(href.startsWith(nginx.base + '/'), href);
    const res = await fetch(href);
    assert.equal(res.status, 200, `${href}: ${res.status}`);
    assert.ok((await res.arrayBuffer()).byteLength > 0, `${href} is empty`);
  }
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('the embed: the dialog\'s snippet points at exported files, and the embed page renders', async () => {
  const { page, context, rec, morePage } = await newPage(browser, nginx.base);
  await openMap(page, nginx.base + '/#map=6.5/40.50/45.00&layers=borders,disputed,bases&feature=bases/gyumri-102nd-base');
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  await page.click('#btn-embed');
  await page.waitForSelector('#embed-dialog[open]');
  const snippet = await page.inputValue('#embed-code');
  const src = /<iframe src="([^"]+)"/.exec(snippet)[1].replaceAll('&amp;', '&');
  const img = /<img src="([^"]+)"/.exec(snippet)[1].replaceAll('&amp;', '&');
  const script = /<script src="([^"]+)"/.exec(snippet)[1];
  assert.ok(src.startsWith(`${nginx.base}/embed/?layers=borders,disputed,bases`), src);
  assert.ok(!/[?&]v=/.test(src), `an export is one version: no v= (${src})`);
  assert.equal(img, `${nginx.base}/static/bases/gyumri-102nd-base.png`);
  assert.equal(script, `${nginx.base}/assets/embed.js`);
  for (const u of [img, script]) assert.equal((await fetch(u)).status, 200, u);
  const png = await fetch(img);
  assert.equal(png.headers.get('content-type'), 'image/png');

  const embed = await morePage();
  await openMap(embed, src);
  await embed.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  assert.ok(await embed.evaluate(() => document.documentElement.classList.contains('embed')), 'the embed page, without chrome');
  const full = await embed.getAttribute('#full-link', 'href');
  assert.ok(full.startsWith(nginx.base + '/?'), `full map link: ${full}`);
  assert.deepEqual(withQuery(rec).filter((u) => !u.startsWith(nginx.base + '/embed/?') && !u.startsWith(nginx.base + '/?')), [], 'data requests with a query string');
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('each layer\'s PMTiles archive reads over range requests, tile for tile what the server serves', async () => {
  const names = ['bases', 'countries', 'events'];
  for (const name of names) {
    const archive = new PMTiles(new FetchSource(`${nginx.base}/tiles/${name}.pmtiles`));
    const header = await archive.getHeader();
    assert.equal(header.minZoom, 0);
    assert.equal(header.maxZoom, MAX_ZOOM);
    assert.equal(header.tileType, 1, 'MVT');
    const meta = await archive.getMetadata();
    assert.ok(meta.vector_layers?.some((l) => l.id), `${name}: vector_layers in the metadata`);
    // Every tile at MAX_ZOOM over the layer's bounds matches the live server's.
    // The grid's last column and row hold their far edges (the countries
    // reach 180°E: Chukotka).
    const tile = (lon, lat, z) => {
      const n = 2 ** z;
      const r = (lat * Math.PI) / 180;
      const cell = (v) => Math.min(n - 1, Math.max(0, Math.floor(v * n)));
      return [cell((lon + 180) / 360), cell((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2)];
    };
    const [x0, y0] = tile(header.minLon, header.maxLat, MAX_ZOOM);
    const [x1, y1] = tile(header.maxLon, header.minLat, MAX_ZOOM);
    let compared = 0;
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        const got = await archive.getZxy(MAX_ZOOM, x, y);
        const res = await fetch(`${live.base}/tiles/${name}/${MAX_ZOOM}/${x}/${y}.mvt`);
        assert.equal(res.status, 200);
        const want = Buffer.from(await res.arrayBuffer());
        if (want.length === 0) {
          assert.equal(got, undefined, `${name} ${MAX_ZOOM}/${x}/${y}: an empty tile is left out`);
          continue;
        }
        assert.ok(got, `${name} ${MAX_ZOOM}/${x}/${y} is missing from the archive`);
        assert.ok(Buffer.from(got.data).equals(want), `${name} ${MAX_ZOOM}/${x}/${y} differs from the server's`);
        compared++;
      }
    }
    assert.ok(compared > 0, `${name}: no tile compared`);
  }
});

/** Follows a chain of pages from url by their `rel` links → [{url, page}]. */
async function walk(url, rel) {
  const seen = [];
  while (url) {
    assert.ok(!seen.some((s) => s.url === url), `${url} links back into the chain`);
    assert.equal(new URL(url).search, '', `${url} carries a query a static host ignores`);
    const res = await fetch(url);
    assert.equal(res.status, 200, `${url}: ${res.status}`);
    const page = await res.json();
    seen.push({ url, page });
    url = page.links.find((l) => l.rel === rel)?.href;
  }
  return seen;
}

test('every items page is a file: next and prev lead through the whole collection, as the server pages it', async () => {
  let paged = 0;
  for (const c of collections) {
    const want = await (await fetch(`${live.base}/collections/${c.id}/items?f=json&limit=10000`)).json();
    const wantIDs = want.features.map((f) => f.id);
    const first = c.links.find((l) => l.rel === 'items' && l.type === 'application/geo+json').href;
    assert.equal(first, `${nginx.base}/collections/${c.id}/items.json`);
    const pages = await walk(first, 'next');
    assert.equal(pages.length, Math.max(1, Math.ceil(wantIDs.length / PAGE_SIZE)), `${c.id}: pages`);
    assert.deepEqual(pages.flatMap((p) => p.page.features.map((f) => f.id)), wantIDs, `${c.id}: the pages together hold every feature once, in the server's order`);
    for (const { page } of pages) {
      assert.equal(page.numberMatched, want.numberMatched, `${c.id}: numberMatched`);
      assert.equal(page.numberReturned, page.features.length);
      assert.ok(page.features.length <= PAGE_SIZE);
    }
    // prev walks the same files back to the first page.
    const back = await walk(pages.at(-1).url, 'prev');
    assert.deepEqual(back.map((p) => p.url).reverse(), pages.map((p) => p.url), `${c.id}: prev retraces next`);
    if (pages.length > 1) paged++;

    // The HTML pages link to each other the same way.
    let html = `${nginx.base}/collections/${c.id}/items.html`;
    const htmlIDs = [];
    for (let n = 0; html; n++) {
      assert.ok(n < pages.length, `${c.id}: more HTML pages than JSON pages`);
      const res = await fetch(html);
      assert.equal(res.status, 200, `${html}: ${res.status}`);
      const body = await res.text();
      for (const m of body.matchAll(/href="[^"]*\/collections\/[^/"]+\/items\/([a-z0-9_-]+)\.html"/g)) htmlIDs.push(m[1]);
      const next = /<a [^>]*href="([^"]+)"[^>]*rel="next"|<a [^>]*rel="next"[^>]*href="([^"]+)"/.exec(body);
      html = next ? new URL((next[1] || next[2]).replaceAll('&amp;', '&'), html).href : null;
      if (html) assert.equal(new URL(html).search, '', `${html} carries a query`);
    }
    assert.deepEqual([...new Set(htmlIDs)], wantIDs, `${c.id}: the HTML pages list every feature`);
  }
  assert.ok(paged >= 2, `layers that span several pages: ${paged}`);
});

/** ogrinfo's output for args, run against the static host. */
const ogrinfo = (args) => execFileSync('ogrinfo', args,
  { encoding: 'utf8', env: { ...process.env, GDAL_HTTP_TIMEOUT: '60' }, maxBuffer: 64 << 20 });

test('GDAL opens the export at its landing page address: every layer, with its feature count', () => {
  // GDAL asks for {root}/collections, a folder on the static host, then
  // follows each collection's items link.
  const out = ogrinfo(['-ro', '-so', '-al', `OAPIF:${nginx.base}/`]);
  const found = Object.fromEntries([...out.matchAll(/^Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  assert.deepEqual(found, Object.fromEntries(collections.map((c) => [c.id, c.itemCount])), 'layers and feature counts GDAL lists');
  // And reads one layer through its pages from there.
  const paged = collections.find((c) => c.itemCount > PAGE_SIZE);
  const all = ogrinfo(['-ro', '-al', '-q', `OAPIF:${nginx.base}/`, paged.id]);
  assert.equal((all.match(/^OGRFeature\(/gm) || []).length, paged.itemCount, `${paged.id}: features GDAL read from the landing page`);
});

test('GDAL reads every layer of the export through OGC API Features, paging through the files', () => {
  for (const c of collections) {
    // A static host has no /collections without an extension: GDAL opens
    // each collection by its description's address, then follows items,
    // next and prev links.
    const out = execFileSync('ogrinfo', ['-ro', '-al', '-q', `OAPIF:${nginx.base}/collections/${c.id}.json`],
      { encoding: 'utf8', env: { ...process.env, GDAL_HTTP_TIMEOUT: '60' }, maxBuffer: 64 << 20 });
    const ids = [...out.matchAll(/^\s+id \(String\) = (\S+)$/gm)].map((m) => m[1]);
    assert.equal((out.match(/^OGRFeature\(/gm) || []).length, c.itemCount, `${c.id}: features GDAL read`);
    assert.equal(new Set(ids).size, c.itemCount, `${c.id}: distinct feature ids`);
  }
});

test('the export says which data version it holds, and a pinned link resolves to it', async () => {
  const liveCols = await (await fetch(`${live.base}/collections?f=json`)).json();
  const version = liveCols.data_version;
  assert.ok(Number.isInteger(version) && version > 0, `live data version: ${version}`);
  // The API pages and the source reader say it.
  for (const p of ['/collections.html', '/collections/bases/items.html', '/sources/004_70ff61cf739652f9/']) {
    const body = await (await fetch(nginx.base + p)).text();
    assert.match(body, new RegExp(`id="export-version">A static copy of data version ${version}:`), p);
    assert.ok(!body.includes('oembed'), `${p} offers oEmbed discovery, which needs the server`);
  }

  // A pinned permalink (v=) is served by the static host as the map page,
  // which shows the one version its files hold and does not claim another.
  const { page, context, rec, morePage } = await newPage(browser, nginx.base);
  await openMap(page, `${nginx.base}/?v=${version + 7}#feature=bases/gyumri-102nd-base`);
  await page.waitForSelector('#feature-panel[data-feature="bases/gyumri-102nd-base"][data-loaded="1"]');
  assert.equal(await page.evaluate(() => window.citemap.dataVersion), version, 'the version the page says it shows');
  assert.equal(new URL(page.url()).search, '', 'the address keeps no v the files cannot honour');
  await page.click('#btn-embed');
  await page.waitForSelector('#embed-dialog[open]');
  assert.equal(await page.isVisible('#embed-pin'), false, 'no "Pin this data version" on an export');
  const snippet = await page.inputValue('#embed-code');
  assert.ok(!/[?&](amp;)?v=/.test(snippet), `the embed code carries no v: ${snippet}`);
  const src = /<iframe src="([^"]+)"/.exec(snippet)[1].replaceAll('&amp;', '&');

  // The embed says the version too.
  const embed = await morePage();
  await openMap(embed, src);
  await embed.waitForSelector('#embed-version');
  assert.equal((await embed.textContent('#embed-version')).trim(), `· data version ${version}`);
  assert.deepEqual(withQuery(rec).filter((u) => !u.startsWith(nginx.base + '/embed/?') && !u.startsWith(nginx.base + '/?')), [], 'data requests with a query string');
  assertClean(assert, rec, nginx.base);
  await context.close();
});

test('search on an export finds features of a layer drawn from tiles, in the layer\'s static index', async () => {
  // The bundled data and 1,200 points (over the tiling threshold), exported
  // with them; one point has an alias, one's name is the whole query.
  const bin = process.env.MAPSERVER || join(repoRoot, 'bin', 'mapserver');
  const dir = join(work, 'grid');
  mkdirSync(dir);
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
  const db = join(dir, 'map.db');
  execFileSync(bin, ['import', join(repoRoot, 'data'), '--db', db], { stdio: 'pipe' });
  execFileSync(bin, ['import', file, '--layer', 'grid', '--db', db], { stdio: 'pipe' });
  let host;
  for (let attempt = 0; attempt < 3 && !host; attempt++) {
    const port = await freePort();
    execFileSync(bin, ['export-site', join(dir, 'site'), '--replace', '--base-url', `http://127.0.0.1:${port}`, '--max-zoom', '3', '--db', db], { stdio: 'pipe' });
    host = await startNginx(join(dir, 'site'), port, dir);
  }
  assert.ok(host, 'nginx would not start');
  try {
    const { page, context, rec } = await newPage(browser, host.base);
    await openMap(page, host.base + '/#map=9/39.75/43.90');
    assert.equal(await page.evaluate(() => window.citemap.features.has('grid/p-1117')), false, 'the app does not hold the tiled layer');
    // The alias, found in the index, shown with the feature's name.
    await page.fill('#search-input', 'zvartnots');
    const result = page.locator('#search-results [data-key="grid/p-1117"]');
    await result.waitFor();
    assert.match(await result.textContent(), /Grid point 1117.*Zvartnots test marker/);
    // The whole name first, then the names it starts, shortest first.
    await page.fill('#search-input', 'grid point 111');
    await page.waitForSelector('#search-results[data-remote="done"][data-query="grid point 111"] .result');
    const keys = await page.$$eval('#search-results .result', (els) => els.map((el) => el.dataset.key));
    assert.deepEqual(keys.slice(0, 4), ['grid/p-0111', 'grid/p-1110', 'grid/p-1111', 'grid/p-1112'], `results: ${keys}`);
    // Chosen, it opens with its evidence from the exported files.
    await page.fill('#search-input', 'zvartnots');
    await result.waitFor();
    await result.click();
    await page.waitForFunction(() => document.getElementById('feature-title').textContent === 'Grid point 1117');
    const paths = rec.requests.filter((u) => u.startsWith(host.base)).map((u) => new URL(u).pathname);
    assert.ok(paths.includes('/search/grid/index.json'), 'the layer\'s index was read');
    assert.ok(!paths.includes('/layers/grid.geojson'), 'the tiled layer is never downloaded whole');
    assert.deepEqual(withQuery(rec), [], 'requests with a query string');
    assertClean(assert, rec, host.base);
    await context.close();
  } finally {
    await host?.stop();
  }
});
