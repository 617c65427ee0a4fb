// A layer of more than 1,000 features is drawn from vector tiles, never
// downloaded whole; a click on one of its features opens it by id, with its
// quotes, and a permalink to one opens it too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClean, launch, mapIdle, newPage, openMap, startServer } from './helpers.mjs';

let srv;
let browser;
let dir;
const N = 1500;

before(async () => {
  // 1,500 points on a 0.02° lattice south-west of Yerevan, each citing a
  // passage of the bundled data.
  dir = mkdtempSync(join(tmpdir(), 'citemap-tiles-'));
  const features = [];
  for (let i = 0; i < N; i++) {
    const lon = 43.6 + (i % 50) * 0.02;
    const lat = 39.6 + Math.floor(i / 50) * 0.02;
    features.push({
      type: 'Feature', id: `p-${String(i).padStart(4, '0')}`,
      geometry: { type: 'Point', coordinates: [+lon.toFixed(5), +lat.toFixed(5)] },
      properties: { name: `Lattice point ${i}`, status: 'active', claims: [{ passage: 'p004-01', aspect: 'existence', relation: 'supports', basis: 'explicit' }] },
    });
  }
  const file = join(dir, 'lattice.geojson');
  writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', layer: { id: 'lattice', title: 'Lattice', kind: 'events' }, features }));
  srv = await startServer({ imports: [{ file, layer: 'lattice' }] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a large layer comes as tiles; a click opens its feature with the quote', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  const requested = [];
  page.on('request', (r) => requested.push(r.url().replace(srv.base, '')));
  await openMap(page, srv.base + '/#map=9/40.00/44.10&layers=lattice');
  await mapIdle(page);
  assert.ok(!requested.some((u) => u.startsWith('/layers/lattice')), 'the layer is not downloaded whole');
  assert.ok(requested.some((u) => u.startsWith('/tiles/lattice/9/')), `tiles of the layer fetched: ${requested.filter((u) => u.startsWith('/tiles/'))}`);
  assert.equal(await page.textContent('#count-lattice'), String(N));
  const hit = await page.evaluate(() => {
    const map = window.citemap.map;
    const layers = window.citemap.styleLayers.filter((s) => s.layers.includes('lattice') && s.interactive).map((s) => s.id);
    const fs = map.queryRenderedFeatures({ layers });
    const f = fs.find((x) => x.properties.id === 'p-0525');
    if (!f) return { n: fs.length, sample: fs.slice(0, 5).map((x) => [x.properties, x.layer.id]) };
    const p = map.project(f.geometry.coordinates);
    const r = map.getCanvas().getBoundingClientRect();
    return { n: fs.length, x: r.left + p.x, y: r.top + p.y };
  });
  assert.ok(hit.n > 100 && hit.x, `lattice points drawn: ${JSON.stringify(hit)}`);
  await page.mouse.click(hit.x, hit.y);
  await page.waitForSelector('#feature-panel[data-feature="lattice/p-0525"][data-loaded="1"]');
  assert.match(await page.textContent('#feature-title'), /Lattice point 525/);
  assert.match(await page.textContent('#feature-body .claim[data-passage="p004-01"]'), /Aliyev-Pashinyan meeting held in Abu Dhabi/);
  assert.ok(requested.some((u) => u.startsWith('/collections/lattice/items/p-0525')), 'the feature fetched by id');
  assertClean(assert, rec, srv.base);
  await context.close();
});

test('a permalink to a feature of a tiled layer opens it', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/#feature=lattice/p-0042');
  await mapIdle(page);
  await page.waitForSelector('#feature-panel[data-feature="lattice/p-0042"][data-loaded="1"]');
  assert.match(await page.textContent('#feature-title'), /Lattice point 42/);
  assertClean(assert, rec, srv.base);
  await context.close();
});
