// How much of the map's first frame is MapLibre drawing this map's content,
// and how much is the app around it: first visits of the app (/ on a fresh
// server, as first-render.mjs takes them) alternate with first visits of a
// bare page that is MapLibre alone, given the same style (the app's live
// style, its GeoJSON data inline), camera, icons, tiles and glyphs, served
// as static files by a plain Node server. The bare page holds its painting
// until every source is in, as the app does, and marks the frame it then
// issues the way the app marks 'first-frame'.
//
//   make build && cd frontend && node ../bench/first-render-bare.mjs
//   ROUNDS=8 MAPSERVER=/tmp/ms node ../bench/first-render-bare.mjs
//   ROUNDS=6 BARE_WITHOUT=held BARE_AGAINST=whole node ../bench/first-render-bare.mjs
//
// BARE_WITHOUT takes parts out of the bare page's style, to see what each
// costs MapLibre (a diagnosis; the app is measured whole): a comma list of
// symbols (every symbol layer), basemap (the basemap's tiles and layers),
// countries (the country areas' tiles and layers), held (the GeoJSON of
// every layer held whole, and its layers), heldsymbols and heldgeometry
// (the held layers' symbol layers, or the others, the source kept).
// BARE_AGAINST=whole alternates that page with the whole bare page instead
// of the app: the two differ only in the parts taken out, so the ratio
// says what those cost with less of the noise two different pages bring.
//
// Run from frontend/ (esbuild bundles the bare page with MapLibre and the
// app's own icon drawing). Bounded: FIRST_RENDER_TIMEOUT seconds (900) for
// the whole run; every wait is an explicit signal. Nothing leaves
// 127.0.0.1: a request to any other origin fails the run.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { browserSettled, launch, mapIdle, newPage, openMap, repoRoot, startServer } from '../frontend/test/helpers.mjs';

const ROUNDS = Number(process.env.ROUNDS || 8);
const WITHOUT = (process.env.BARE_WITHOUT || '').split(',').filter(Boolean);
const PARTS = {
  symbols: (layer) => layer.type === 'symbol',
  basemap: (layer) => layer.source === 'basemap',
  countries: (layer) => layer.source === 'countries',
  held: (layer) => layer.source === 'citemap:held',
  heldsymbols: (layer) => layer.source === 'citemap:held' && layer.type === 'symbol',
  heldgeometry: (layer) => layer.source === 'citemap:held' && layer.type !== 'symbol',
};
// The parts whose source goes with their layers.
const SOURCES = { basemap: 'basemap', countries: 'countries', held: 'citemap:held' };
for (const w of WITHOUT) if (!PARTS[w]) throw new Error(`BARE_WITHOUT=${w}: one of ${Object.keys(PARTS).join(', ')}`);
const TIMEOUT_S = Number(process.env.FIRST_RENDER_TIMEOUT || 900);
const AGAINST = process.env.BARE_AGAINST || 'app';
if (!['app', 'whole'].includes(AGAINST)) throw new Error(`BARE_AGAINST=${AGAINST}: app or whole`);
if (AGAINST === 'whole' && !WITHOUT.length) throw new Error('BARE_AGAINST=whole needs BARE_WITHOUT');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`ROUNDS=${process.env.ROUNDS}: a whole number of rounds, at least 1`);
const timer = setTimeout(() => {
  console.error(`first-render-bare: stopped after ${TIMEOUT_S} s (FIRST_RENDER_TIMEOUT)`);
  process.exit(124);
}, TIMEOUT_S * 1000);
timer.unref();

const frontend = join(repoRoot, 'frontend');
// esbuild is the front end's (frontend/node_modules), as the helpers' playwright-core is.
const { build } = createRequire(join(frontend, 'package.json'))('esbuild');
const dir = mkdtempSync(join(tmpdir(), 'citemap-bare-'));
// The whole bare page, for BARE_AGAINST=whole.
const wholeDir = join(dir, 'whole');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// The bare page: MapLibre and the app's icons, nothing else.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/maplibre-gl.css"><link rel="stylesheet" href="/bare.css"></head><body><div id="map"></div><script type="module" src="/bare.js"></script></body></html>`;
const SCRIPT = `
import * as maplibregl from 'maplibre-gl';
import { addImages } from './src/mapstyle.js';
const marks = {};
window.marks = marks;
const mark = (n) => { marks[n] = Math.round(performance.now()); };
maplibregl.setWorkerUrl('/worker.js');
maplibregl.prewarm();
const s = await (await fetch('/style.json')).json();
const map = new maplibregl.Map({ container: 'map', style: s.style, validateStyle: false, attributionControl: false,
  center: s.center, zoom: s.zoom, minZoom: 2, maxZoom: 13, renderWorldCopies: false, fadeDuration: 0 });
addImages(map);
const ids = Object.keys(s.style.sources);
const complete = () => ids.every((id) => map.isSourceLoaded(id));
const painter = map.painter;
const render = painter.render;
painter.render = function (...args) {
  if (!complete() || map._placementDirty) return undefined;
  painter.render = render;
  return render.apply(this, args);
};
map.once('style.load', () => {
  if (typeof map.style?.sky?.getEvaluated === 'function') map.style.sky.getEvaluated = () => undefined;
  mark('style-load');
});
map.on('render', () => { if (marks['first-frame'] === undefined && painter.render === render && complete()) mark('first-frame'); });
map.once('idle', () => { mark('idle'); window.bareDone = true; });
`;

/** The app's live style and camera, and every tile and glyph file its first view fetched, into dir (into wholeDir too, with the style whole). */
async function capture() {
  const srv = await startServer();
  const browser = await launch();
  try {
    await srv.ready();
    const { page } = await newPage(browser, srv.base);
    const files = [];
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.ok() && (/^\/tiles\/.+\.mvt$/.test(path) || /\.pbf$/.test(path))) files.push(r.body().then((b) => ({ path: decodeURIComponent(path), b })));
    });
    await openMap(page, srv.base + '/');
    await mapIdle(page);
    const live = await page.evaluate(() => {
      const m = window.citemap.map;
      return { style: m.getStyle(), center: m.getCenter(), zoom: m.getZoom() };
    });
    for (const { path, b } of await Promise.all(files)) {
      for (const d of [dir, wholeDir]) {
        mkdirSync(dirname(join(d, path)), { recursive: true });
        writeFileSync(join(d, path), b);
      }
    }
    // Same-origin paths instead of the server's.
    const local = (u) => u.replace(srv.base, '');
    live.style.glyphs = local(live.style.glyphs);
    for (const src of Object.values(live.style.sources)) if (src.tiles) src.tiles = src.tiles.map(local);
    writeFileSync(join(wholeDir, 'style.json'), JSON.stringify(live));
    for (const w of WITHOUT) {
      live.style.layers = live.style.layers.filter((l) => !PARTS[w](l));
      if (SOURCES[w]) delete live.style.sources[SOURCES[w]];
    }
    writeFileSync(join(dir, 'style.json'), JSON.stringify(live));
    return { files: files.length, zoom: live.zoom, layers: live.style.layers.length, sources: Object.keys(live.style.sources).length };
  } finally {
    await browser.close();
    await srv.stop();
  }
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.mvt': 'application/vnd.mapbox-vector-tile', '.pbf': 'application/x-protobuf' };
function serveDir(root) {
  return new Promise((resolve) => {
    const srv = createServer((req, res) => {
      const asked = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const path = asked === '/' ? '/bare.html' : asked;
      try {
        if (path.includes('..')) throw new Error('outside');
        const b = readFileSync(join(root, path));
        res.writeHead(200, { 'content-type': TYPES[path.slice(path.lastIndexOf('.'))] || 'application/octet-stream' });
        res.end(b);
      } catch {
        res.writeHead(404);
        res.end();
      }
    });
    srv.listen(0, '127.0.0.1', () => resolve({ base: `http://127.0.0.1:${srv.address().port}`, stop: () => new Promise((r) => srv.close(r)) }));
  });
}

/** One first visit: the app's marks, or the bare page's (whole: the bare page with nothing taken out). */
async function visit(kind) {
  const srv = kind === 'app' ? await startServer() : await serveDir(kind === 'whole' ? wholeDir : dir);
  let browser;
  try {
    browser = await launch();
    if (srv.ready) await srv.ready();
    const { page, context, rec } = await newPage(browser, srv.base);
    await browserSettled(browser);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let marks;
    if (kind === 'app') {
      await openMap(page, srv.base + '/');
      await mapIdle(page);
      marks = await page.evaluate(() => ({ ...window.citemap.marks, 'first-frame': window.citemap.firstRenderMs }));
    } else {
      await page.goto(srv.base + '/');
      await page.waitForFunction(() => window.bareDone === true, null, { timeout: 180_000 });
      marks = await page.evaluate(() => ({ ...window.marks }));
    }
    const away = rec.requests.filter((u) => !u.startsWith(srv.base) && !u.startsWith('data:') && !u.startsWith('blob:'));
    if (away.length) throw new Error(`requests left the origin: ${away.join(' ')}`);
    if (rec.errors.length) throw new Error(`${kind}: errors on the page: ${rec.errors.join('; ')}`);
    await context.close();
    return marks;
  } finally {
    await browser?.close();
    await srv.stop();
  }
}

mkdirSync(wholeDir);
const got = await capture();
const ml = join(frontend, 'node_modules/maplibre-gl/dist');
writeFileSync(join(dir, 'bare.html'), PAGE);
writeFileSync(join(dir, 'bare.css'), 'html, body, #map { margin: 0; width: 100%; height: 100%; }\n');
writeFileSync(join(dir, 'maplibre-gl.css'), readFileSync(join(ml, 'maplibre-gl.css')));
writeFileSync(join(dir, 'worker.js'), readFileSync(join(ml, 'maplibre-gl-worker.mjs')));
await build({
  stdin: { contents: SCRIPT, resolveDir: frontend, loader: 'js' },
  bundle: true, format: 'esm', minify: true, outfile: join(dir, 'bare.js'), logLevel: 'error',
  define: { __GLYPHS__: '""' },
});
// The whole bare page is the same page with the whole style.
for (const f of ['bare.html', 'bare.css', 'maplibre-gl.css', 'worker.js', 'bare.js']) copyFileSync(join(dir, f), join(wholeDir, f));
console.log(`captured: ${got.layers} style layers, ${got.sources} sources, zoom ${got.zoom.toFixed(2)}, ${got.files} tile and glyph files${WITHOUT.length ? `; the bare page without ${WITHOUT.join(', ')}` : ''}`);

const MARKS = ['style-load', 'first-frame', 'idle'];
const runs = { [AGAINST]: [], bare: [] };
const load0 = loadavg()[0];
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of round % 2 ? ['bare', AGAINST] : [AGAINST, 'bare']) {
    const m = await visit(kind);
    runs[kind].push(m);
    console.log(`round ${round + 1} ${kind}: ${MARKS.map((k) => `${k}=${m[k]}`).join(' ')} load=${loadavg()[0].toFixed(1)}`);
  }
}
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
console.log(`\nfirst visits, ${ROUNDS} rounds, ms since navigation (median, min-max); load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`);
console.log(`| page | ${MARKS.join(' | ')} |`);
console.log(`|---|${MARKS.map(() => '---').join('|')}|`);
for (const [kind, list] of Object.entries(runs)) {
  const cells = MARKS.map((k) => {
    const xs = list.map((m) => m[k]).filter(Number.isFinite);
    return xs.length ? `${median(xs)} (${Math.min(...xs)}-${Math.max(...xs)})` : '-';
  });
  console.log(`| ${kind} | ${cells.join(' | ')} |`);
}
const ff = (kind) => median(runs[kind].map((m) => m['first-frame']));
console.log(`RESULT ${AGAINST}_first_frame_median_ms=${ff(AGAINST)} bare_first_frame_median_ms=${ff('bare')} ratio=${(ff(AGAINST) / ff('bare')).toFixed(3)} rounds=${ROUNDS}${WITHOUT.length ? ` bare_without=${WITHOUT.join(',')}` : ''}`);
