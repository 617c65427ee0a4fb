// The MapLibre style: a basemap drawn from this server's Natural Earth
// GeoJSON, the cited layers on top, labels in Noto Sans from glyph files
// served with the page (no glyph server elsewhere). Icons and the hatch
// pattern are drawn on a canvas at start-up (map.addImage), so there is no
// sprite to fetch either.
import { assetURL } from './urls.js';

export const FONT = 'Noto Sans Regular';
export const FONT_BOLD = 'Noto Sans Bold';

const GREY = '#8b8f94';
const GREY_DARK = '#6b7075';

/** Per-kind colours and words, shared by the map and the legend. */
export const KINDS = {
  borders: { color: '#5b3f9f', fill: '#c9b98f', label: 'country area / border line' },
  countries: { color: '#857657', fill: '#c9b98f', label: 'country area' },
  disputed: { color: '#c0392b', label: 'disputed or breakaway area' },
  bases: { color: '#9b1c1c', label: 'military base' },
  corridors: { color: '#d35400', label: 'transport corridor' },
  events: { color: '#1f6fb2', label: 'event' },
  // Features with only inferred support: drawn muted, never as evidence.
  context: { color: '#a3aab2', fill: '#c9cdd2', label: 'context (inferred, not cited)' },
};
const GENERIC = { color: '#2e7d32', fill: '#2e7d32', label: 'feature' };

export function kindOf(kind) {
  return KINDS[kind] || GENERIC;
}

/**
 * The base style: background, basemap land and borders, country labels, selection.
 * glyphs is the folder of the labels' glyph files (frontend/glyphs, made by
 * tools/glyphs): ready signed-distance glyphs, fetched 256 codepoints at a
 * time, rather than drawn from a font file on the page's main thread as
 * each is first needed.
 */
export function baseStyle(glyphs) {
  return {
    version: 8,
    name: 'citemap',
    // Under the site's base path, on an export too. Not through new URL
    // whole: it would escape the template's braces.
    glyphs: `${assetURL(glyphs)}{fontstack}/{range}.pbf`,
    sources: {},
    layers: [
      // Outside the basemap's extent: neutral grey, so no one reads it as sea.
      { id: 'background', type: 'background', paint: { 'background-color': '#e3e5e8' } },
    ],
  };
}

/**
 * A constant colour written as a per-feature value: the same colour whatever
 * the feature holds, but decided per feature. MapLibre compiles a
 * shader program for each mix of constant and per-feature paint values
 * that a frame draws; the cited layers' colours are per feature, and with
 * the basemap's and the single-kind layers' colours per feature too, the
 * first frame's fills and lines share their programs: 10 programs instead
 * of 13. On software GL, which compiles in the GPU process while MapLibre
 * waits, the first frame waited 91-121 ms for the 10 and 191-246 ms for
 * the 13 (three first visits of each).
 */
export const perFeature = (color) => ['case', ['has', 'citemap:colour'], color, color];

/** The layer with its constant fill and line colours per feature (perFeature). */
export function sharedPrograms(layer) {
  const props = { fill: ['fill-color', 'fill-outline-color'], line: ['line-color'] }[layer.type];
  if (!props || !layer.paint || layer.paint['fill-pattern'] !== undefined) return layer;
  const paint = { ...layer.paint };
  // Unset, the outline takes the fill's colour (the style specification's
  // default), but as a constant: set here as MapLibre would draw it.
  if (layer.type === 'fill' && paint['fill-outline-color'] === undefined) paint['fill-outline-color'] = paint['fill-color'];
  for (const k of props) if (typeof paint[k] === 'string') paint[k] = perFeature(paint[k]);
  return { ...layer, paint };
}

const isArea = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
const roleIs = (r) => ['==', ['get', 'role'], r];

/**
 * Layers for the basemap source: Natural Earth land (1:10m in the region,
 * coarser further out, so no view ends in a cut edge) and border lines
 * (lines, not polygon outlines: a clip edge is never drawn as a border).
 */
export function basemapLayers() {
  return [
    // No fill antialiasing (on by default): it draws every fill's outline
    // once more, with a shader program of its own to compile before the
    // first frame (software GL compiles each one on the main thread); the
    // basemap's borders and the areas' outlines are lines of their own.
    { id: 'basemap-sea', type: 'fill', source: 'basemap-extent', paint: { 'fill-color': '#d7e5ee', 'fill-antialias': false } },
    {
      id: 'basemap-land', type: 'fill', source: 'basemap', filter: isArea,
      paint: { 'fill-color': '#f5f2ea', 'fill-antialias': false },
    },
    {
      id: 'basemap-border', type: 'line', source: 'basemap', filter: roleIs('border'),
      layout: { 'line-join': 'round' },
      paint: { 'line-color': '#a99f8b', 'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.6, 8, 1.4] },
    },
    {
      // Natural Earth 1:10m river centrelines (the Kura, the Araks), over
      // the borders: where the Araks is the border, the river still shows.
      id: 'basemap-rivers', type: 'line', source: 'basemap', minzoom: 4, filter: roleIs('river'),
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': '#86aacb', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.6, 8, 1.2, 12, 2] },
    },
  ];
}

const pop = ['get', 'population'];

/** A tier of town labels: a dot and the name beside it. */
function townLayer(t) {
  return {
    id: `place-${t.id}`, type: 'symbol', source: 'basemap', minzoom: t.minzoom,
    filter: ['all', roleIs('place'), t.filter],
    layout: {
      'icon-image': 'town-dot',
      'text-field': ['get', 'name'],
      'text-font': [t.id === 'capitals' ? FONT_BOLD : FONT],
      'text-size': ['interpolate', ['linear'], ['zoom'], 4, t.id === 'capitals' ? 12 : 11, 9, t.id === 'capitals' ? 15 : 13],
      'text-variable-anchor': ['left', 'right', 'top', 'bottom'],
      'text-radial-offset': 0.55,
      'text-justify': 'auto',
      'text-max-width': 9,
      // Tight boxes: towns a few km apart (Ordubad, Meghri) both fit.
      'text-padding': 1,
      'icon-padding': 0,
      'symbol-sort-key': ['-', 0, pop],
    },
    paint: { 'text-color': '#2b3038', 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 },
  };
}

/**
 * The towns a focused feature is named by (the TRIPP route "via Meghri"),
 * as a layer stacked above the feature labels, so the feature's own name
 * never hides the town it names. Empty until namedPlaceFilter sets it.
 */
export function namedPlaceLayer() {
  return townLayer({ id: 'named', minzoom: 5, filter: ['in', ['get', 'name'], ['literal', []]] });
}

/** The filter of the named-place layer for a feature's properties. */
export function namedPlaceFilter(props = {}) {
  const words = `${props.name || ''} ${props.aliases || ''}`.split(/[^\p{L}’'-]+/u).filter((w) => w.length > 1);
  return ['all', roleIs('place'), ['in', ['get', 'name'], ['literal', [...new Set(words)]]]];
}

/**
 * The basemap's labels in drawing order, bottom to top. MapLibre places
 * labels from the top layer down, so each layer wins a contested spot over
 * every layer under it: the capitals first, then the country names (which
 * move above or below their point to make room for a capital) and their
 * grids for close views, the cities, the regions the sources name, the
 * towns by size, and the water names last.
 * The layers of a focused feature's towns and of the features' own names sit
 * above all of these.
 */
export function basemapLabelLayers() {
  // The basemap's tiles carry a place from the zoom its tier is laid out
  // at (floor of its minzoom: capitals 3, cities 4, the rest 5; placeZoom in
  // layers/tiles): a tier moved to a lower zoom needs the server moved too.
  const tiers = [
    { id: 'capitals', minzoom: 3, filter: ['==', ['get', 'capital'], 1] },
    { id: 'cities', minzoom: 4.5, filter: ['all', ['!=', ['get', 'capital'], 1], ['>=', pop, 500000]] },
    { id: 'towns-l', minzoom: 5, filter: ['all', ['!=', ['get', 'capital'], 1], ['<', pop, 500000], ['>=', pop, 150000]] },
    { id: 'towns-m', minzoom: 5.8, filter: ['all', ['<', pop, 150000], ['>=', pop, 30000]] },
    { id: 'towns-s', minzoom: 7, filter: ['<', pop, 30000] },
  ];
  const [capitals, cities, ...towns] = tiers.map((t) => townLayer(t));
  const regions = {
    id: 'place-regions', type: 'symbol', source: 'basemap', minzoom: 6.5, filter: roleIs('region'),
    layout: {
      // The country under the region's name: a view of Syunik alone holds
      // no other "Armenia" (the country's label points lie outside it).
      'text-field': ['case', ['has', 'country'],
        ['format', ['get', 'name'], {}, '\n', {}, ['get', 'country'], { 'font-scale': 0.8 }],
        ['get', 'name']],
      'text-font': [FONT],
      'text-size': ['interpolate', ['linear'], ['zoom'], 6.5, 11, 10, 14],
      'text-transform': 'uppercase',
      'text-letter-spacing': 0.15,
      'text-offset': [0, -1.6],
      'text-padding': 6,
    },
    paint: { 'text-color': '#8a8170', 'text-halo-color': '#f5f2ea', 'text-halo-width': 1.4 },
  };
  return [
    ...waterLabelLayers(),
    ...towns.reverse(),
    regions,
    cities,
    ...countryAreaLabelLayers().reverse(),
    basemapLabelLayer(),
    capitals,
  ];
}

/**
 * Names of seas (a point in open water) and rivers (the Kura and the
 * Araks, set along their lines). No italic face is
 * bundled, so water reads by its blue-grey and wide spacing.
 */
export function waterLabelLayers() {
  const paint = { 'text-color': '#4f7391', 'text-halo-width': 1.2 };
  return [
    {
      id: 'water-rivers', type: 'symbol', source: 'basemap', minzoom: 6, filter: roleIs('river'),
      layout: {
        'symbol-placement': 'line',
        'symbol-spacing': 160,
        'text-field': ['get', 'name'],
        'text-font': [FONT],
        'text-size': ['interpolate', ['linear'], ['zoom'], 6, 11, 10, 13],
        'text-letter-spacing': 0.2,
        'text-max-angle': 40,
        // Beside the drawn river, not over it.
        'text-offset': [0, -0.85],
      },
      paint: { ...paint, 'text-halo-color': '#f5f2ea' },
    },
    {
      id: 'water-seas', type: 'symbol', source: 'basemap', minzoom: 3, filter: roleIs('sea'),
      layout: {
        'text-field': ['get', 'name'],
        'text-font': [FONT],
        'text-size': ['interpolate', ['linear'], ['zoom'], 3, 11, 8, 15],
        'text-letter-spacing': 0.25,
        'text-max-width': 5,
        'text-padding': 8,
      },
      paint: { ...paint, 'text-halo-color': '#d7e5ee' },
    },
  ];
}

/**
 * Country names when zoomed in: from label points on nested grids inside
 * each country (the basemap tiles' label layer), a finer grid at each zoom step, so a close
 * view still says "Armenia" and "Iran" but not every few centimetres.
 */
function countryAreaLabelLayers() {
  const l = basemapLabelLayer();
  return [[3, 7.5], [4, 8.5], [5, 9.5]].map(([level, minzoom]) => ({
    ...l, id: `basemap-area-labels-${level}`, minzoom, maxzoom: 24, filter: ['==', ['get', '_grid'], level],
    layout: { ...l.layout, 'text-size': 14, 'text-padding': 10 },
  }));
}

function basemapLabelLayer() {
  return {
    id: 'basemap-labels', type: 'symbol', source: 'basemap-labels', filter: ['!', ['to-boolean', ['get', '_grid']]],
    layout: {
      'text-field': ['get', 'name'],
      'text-font': [FONT],
      'text-size': ['interpolate', ['linear'], ['zoom'], 3, 10, 7, 14],
      'text-transform': 'uppercase',
      'text-letter-spacing': 0.08,
      'text-max-width': 8,
      'text-padding': 4,
      // Placed after the capitals and the features' names: a small
      // country's name (Armenia, Azerbaijan) moves off its point, to any
      // side, rather than hide them. Above, below and centred only, Armenia
      // went unnamed at zoom 6, between the base at Gyumri and the events
      // at Yerevan.
      'text-variable-anchor': ['center', 'bottom', 'top', 'left', 'right', 'bottom-left', 'bottom-right', 'top-left', 'top-right'],
      'text-radial-offset': 0.7,
    },
    paint: { 'text-color': '#7d745f', 'text-halo-color': '#f5f2ea', 'text-halo-width': 1.4 },
  };
}

// Ground shown at least across the shorter side of a feature view, by the
// feature's geo_precision (km): a base placed at a town is not shown closer
// than the region around that town. The static pictures use the same.
export const MIN_SPAN_KM = { exact: 160, town: 260, region: 420 };

/**
 * The bounds a feature view fits: the feature with its neighbourhood, never
 * closer than its geo_precision justifies, and the feature spanning at
 * least a quarter of the view (unless it is a point).
 */
export function featureFrame([a, b, c, d], precision) {
  const cx = (a + c) / 2;
  const cy = (b + d) / 2;
  const kmLat = 111.32;
  const kmLon = kmLat * Math.cos((cy * Math.PI) / 180);
  const ext = Math.max((c - a) * kmLon, (d - b) * kmLat);
  let span = Math.max(ext * 2, MIN_SPAN_KM[precision] ?? 320);
  if (ext > 0) span = Math.min(span, Math.max(ext * 2, ext * 4));
  const hx = span / 2 / kmLon;
  const hy = span / 2 / kmLat;
  return [[cx - hx, cy - hy], [cx + hx, cy + hy]];
}

const isPolygon = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
const isLine = ['match', ['geometry-type'], ['LineString', 'MultiLineString'], true, false];
const isPoint = ['all', ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false], ['!', ['to-boolean', ['get', '_label']]]];
const isLabelPoint = ['to-boolean', ['get', '_label']];
const isLineLabelPoint = ['all', isLabelPoint, ['has', '_fitz']];
const isAreaLabelPoint = ['all', isLabelPoint, ['!', ['has', '_fitz']]];
// Zooms at which a line label switches between along and beside the line.
const FIT_STEPS = [5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5, 10, 11, 12, 14];
const hist = ['to-boolean', ['get', '_hist']];
const notHist = ['!', hist];

/**
 * What a layer's features need drawn: areas, lines, points, and the
 * historical ones of each (drawn muted and dashed, by layers of their own).
 */
export function geometryNeeds(features) {
  const has = { area: false, line: false, point: false, areaHist: false, lineHist: false, pointHist: false };
  for (const f of features) {
    const t = f.geometry?.type || '';
    const g = /Polygon$/.test(t) ? 'area' : /LineString$/.test(t) ? 'line' : /Point$/.test(t) ? 'point' : null;
    if (!g) continue;
    has[g] = true;
    if (f.hist) has[`${g}Hist`] = true;
  }
  return has;
}

/**
 * What a layer drawn from tiles needs drawn, from its collection's
 * geometryDimension (JSON-FG: 0 points, 1 lines, 2 areas; absent when its
 * features mix them). Its features are not held, so geometryNeeds cannot
 * look at them, and whether any is historical is not known: the
 * historical style layers of its geometry stay. null (no dimension): all.
 */
export function dimensionNeeds(dimension) {
  const g = Number.isInteger(dimension) ? ['point', 'line', 'area'][dimension] : undefined;
  if (!g) return null;
  return { area: false, line: false, point: false, areaHist: false, lineHist: false, pointHist: false, [g]: true, [`${g}Hist`]: true };
}

/**
 * The style layers of one cited layer (source id = layer id), by kind.
 * Each returns {layer, interactive}; `filter` is the base filter, which the
 * date filter is and-ed with. Label layers are not interactive.
 * has (from geometryNeeds) leaves out the layers for geometry the layer
 * does not hold: every style layer costs the worker's layout and each
 * frame's drawing, so a layer of points draws no fills. null: all of them
 * (a layer drawn from tiles, whose features the app does not hold).
 */
export function dataLayers(id, kind, has = null) {
  const k = kindOf(kind);
  const L = [];
  // Context (uncited) features are named a zoom step after the cited ones,
  // so at a wide view their labels do not take the cited features' room.
  const later = kind === 'context' ? 1 : 0;
  const need = (what) => !has || !!has[what];
  const needs = { fill: 'area', outline: 'area', 'outline-hist': 'areaHist', casing: 'line', line: 'line', 'line-hist': 'lineHist', point: 'point', 'point-label': 'point', 'line-label': 'line', 'line-label:mid': 'line', 'area-label': 'area' };
  const add = (layer, interactive = true) => {
    if (!need(needs[layer.id.slice(id.length + 1)])) return;
    L.push({ layer: { ...layer, source: id, metadata: { 'citemap:layer': id } }, interactive });
  };

  // Areas.
  if (kind === 'disputed') {
    add({ id: `${id}:fill`, type: 'fill', filter: isPolygon, paint: {
      'fill-pattern': ['case', hist, 'hatch-grey', 'hatch-red'],
      'fill-opacity': 0.9,
      'fill-antialias': false, // see basemapLayers
    } });
    add({ id: `${id}:outline`, type: 'line', filter: isPolygon, paint: {
      'line-color': ['case', hist, GREY_DARK, k.color],
      'line-width': ['interpolate', ['linear'], ['zoom'], 3, 1.2, 8, 2.4],
      'line-dasharray': [3, 2],
    } });
  } else {
    add({ id: `${id}:fill`, type: 'fill', filter: isPolygon, paint: {
      'fill-color': ['case', hist, GREY, k.fill || k.color],
      'fill-opacity': kind === 'borders' || kind === 'countries' ? 0.16 : kind === 'context' ? 0.12 : 0.25,
      'fill-antialias': false,
    } });
    // Country areas have no outline: their borders are lines of their own,
    // and an outline would draw the data's clip edges as borders.
    if (kind !== 'borders' && kind !== 'countries') {
      add({ id: `${id}:outline`, type: 'line', filter: ['all', isPolygon, notHist], paint: {
        'line-color': k.color,
        'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.8, 8, 1.6],
      } });
    }
    add({ id: `${id}:outline-hist`, type: 'line', filter: ['all', isPolygon, hist], paint: {
      'line-color': GREY_DARK, 'line-width': 1.2, 'line-dasharray': [2, 2],
    } });
  }

  // Lines.
  add({ id: `${id}:casing`, type: 'line', filter: ['all', isLine, notHist], layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: {
    'line-color': '#ffffff',
    'line-width': ['interpolate', ['linear'], ['zoom'], 3, 4, 8, 8],
    'line-opacity': 0.85,
  } });
  add({ id: `${id}:line`, type: 'line', filter: ['all', isLine, notHist], layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: {
    'line-color': k.color,
    'line-width': ['interpolate', ['linear'], ['zoom'], 3, 2, 8, 4.5],
  } });
  add({ id: `${id}:line-hist`, type: 'line', filter: ['all', isLine, hist], paint: {
    'line-color': GREY_DARK,
    'line-width': ['interpolate', ['linear'], ['zoom'], 3, 1.8, 8, 3.5],
    'line-dasharray': [2, 1.5],
  } });

  // Points.
  if (kind === 'bases') {
    add({ id: `${id}:point`, type: 'symbol', filter: isPoint, layout: {
      'icon-image': ['case', hist, 'icon-base-hist', 'icon-base'],
      'icon-size': ['interpolate', ['linear'], ['zoom'], 3, 0.8, 8, 1.15],
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
    } });
    // The name is a layer of its own, stacked with the other thematic
    // labels above the town labels: in a contested spot (the Gyumri base
    // and the town of Gyumri) the feature's name wins, the town's gives way.
    add({ id: `${id}:point-label`, type: 'symbol', minzoom: 5.5 + later, filter: isPoint, layout: {
      'text-field': ['get', 'name'],
      'text-font': [FONT],
      'text-size': 12,
      'text-variable-anchor': ['left', 'right', 'top', 'bottom'],
      'text-radial-offset': 1,
      'text-justify': 'auto',
      'text-max-width': 12,
    }, paint: { 'text-color': ['case', hist, GREY_DARK, '#5a1212'], 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 } }, false);
  } else {
    add({ id: `${id}:point`, type: 'circle', filter: isPoint, paint: {
      'circle-color': ['case', hist, GREY, k.color],
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 4.5, 8, 7],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.6,
    } });
    add({ id: `${id}:point-label`, type: 'symbol', minzoom: 5.5 + later, filter: isPoint, layout: {
      'text-field': ['get', 'name'],
      'text-font': [FONT],
      'text-size': 11.5,
      'text-anchor': 'left',
      'text-offset': [0.9, 0],
      'text-max-width': 12,
      'text-optional': true,
    }, paint: { 'text-color': ['case', hist, GREY_DARK, k.color], 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 } }, false);
  }

  // Labels of lines and areas. A line's name runs along it from the zoom
  // where it fits (_fitz, from toMapData); below that it stands beside the
  // line's middle (the :line-label:mid layer, at the same stage).
  const fits = (yes) => ['step', ['zoom'], '', ...FIT_STEPS.flatMap((z) => [z,
    ['case', [yes ? '<=' : '>', ['coalesce', ['get', '_fitz'], 0], z], ['get', 'name'], '']])];
  add({ id: `${id}:line-label`, type: 'symbol', minzoom: 5.5 + later, filter: isLine, layout: {
    'symbol-placement': 'line',
    'text-field': fits(true),
    'text-font': [FONT],
    'text-size': 11.5,
    'text-max-angle': 30,
  }, paint: { 'text-color': ['case', hist, GREY_DARK, k.color], 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 } }, false);
  if (kind !== 'borders' && kind !== 'countries') {
    add({ id: `${id}:line-label:mid`, type: 'symbol', minzoom: 5.5 + later, filter: isLineLabelPoint, layout: {
      'text-field': fits(false),
      'text-font': [FONT],
      'text-size': 11.5,
      // Below or above the middle first; then off to a side, so the towns
      // on the line (Meghri, Ordubad) keep their names too.
      'text-variable-anchor': ['top', 'bottom', 'top-left', 'top-right', 'bottom-left', 'bottom-right'],
      'text-radial-offset': 0.7,
      'text-max-width': 12,
    }, paint: { 'text-color': ['case', hist, GREY_DARK, k.color], 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 } }, false);
    add({ id: `${id}:area-label`, type: 'symbol', minzoom: 4.5 + later, filter: isAreaLabelPoint, layout: {
      'text-field': ['get', 'name'],
      'text-font': [FONT_BOLD],
      'text-size': ['interpolate', ['linear'], ['zoom'], 4.5, 10.5, 8, 13],
      'text-max-width': 9,
      'text-optional': true,
    }, paint: { 'text-color': ['case', hist, GREY_DARK, k.color], 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 } }, false);
  }
  return L;
}

/** Highlight of the selected feature (source 'selection'). */
export function selectionLayers() {
  return [
    { id: 'sel-fill', type: 'fill', source: 'selection', filter: isPolygon, paint: { 'fill-color': '#ffd43b', 'fill-opacity': 0.18 } },
    { id: 'sel-line', type: 'line', source: 'selection', filter: ['any', isPolygon, isLine], layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': '#f59f00', 'line-width': 6, 'line-opacity': 0.55 } },
    { id: 'sel-point', type: 'circle', source: 'selection', filter: isPoint, paint: {
      'circle-radius': 14, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#f59f00', 'circle-stroke-width': 3.5,
    } },
  ];
}

/**
 * Icons and patterns drawn on a canvas: no sprite sheet to download. Those
 * the map already has are left as they are (this runs when the style first
 * asks for one, and again when the layers are added).
 */
export function addImages(map) {
  if (map.hasImage('hatch-grey')) return;
  const ratio = 2;
  const draw = (w, hgt, fn) => {
    const c = document.createElement('canvas');
    c.width = w * ratio;
    c.height = hgt * ratio;
    const ctx = c.getContext('2d');
    ctx.scale(ratio, ratio);
    fn(ctx);
    return ctx.getImageData(0, 0, c.width, c.height);
  };
  const base = (fill) => (ctx) => {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(1, 1, 16, 16);
    ctx.fillStyle = fill;
    ctx.fillRect(2.5, 2.5, 13, 13);
    ctx.fillStyle = '#ffffff';
    ctx.beginPath();
    // a five-pointed star
    for (let i = 0; i < 10; i++) {
      const r = i % 2 ? 2.4 : 5.4;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      ctx.lineTo(9 + r * Math.cos(a), 9.4 + r * Math.sin(a));
    }
    ctx.closePath();
    ctx.fill();
  };
  map.addImage('town-dot', draw(8, 8, (ctx) => {
    ctx.fillStyle = '#ffffff';
    ctx.beginPath();
    ctx.arc(4, 4, 3.6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#3d4350';
    ctx.beginPath();
    ctx.arc(4, 4, 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }), { pixelRatio: ratio });
  map.addImage('icon-base', draw(18, 18, base(KINDS.bases.color)), { pixelRatio: ratio });
  map.addImage('icon-base-hist', draw(18, 18, base(GREY)), { pixelRatio: ratio });
  const hatch = (color) => (ctx) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.4;
    ctx.beginPath();
    for (let o = -8; o <= 16; o += 8) {
      ctx.moveTo(o, 8);
      ctx.lineTo(o + 8, 0);
    }
    ctx.stroke();
  };
  map.addImage('hatch-red', draw(8, 8, hatch('rgba(192,57,43,0.75)')), { pixelRatio: ratio });
  map.addImage('hatch-grey', draw(8, 8, hatch('rgba(107,112,117,0.6)')), { pixelRatio: ratio });
}

/** A legend symbol (inline SVG built with DOM calls, no HTML strings). */
export function legendSymbol(kind) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 28 18');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'legend-sym');
  const el = (tag, attrs) => {
    const e = document.createElementNS(NS, tag);
    for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, String(v));
    svg.appendChild(e);
    return e;
  };
  const k = kindOf(kind);
  switch (kind) {
    case 'borders':
      el('rect', { x: 1, y: 2, width: 26, height: 14, fill: k.fill, 'fill-opacity': 0.35, stroke: '#857657', 'stroke-width': 1 });
      el('path', { d: 'M1 12 L9 7 L17 11 L27 5', fill: 'none', stroke: k.color, 'stroke-width': 2.6 });
      break;
    case 'disputed': {
      const pid = `hatch-${Math.random().toString(36).slice(2)}`;
      const defs = el('defs', {});
      const pat = document.createElementNS(NS, 'pattern');
      for (const [a, v] of Object.entries({ id: pid, width: 5, height: 5, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(-45)' })) pat.setAttribute(a, String(v));
      const line = document.createElementNS(NS, 'line');
      for (const [a, v] of Object.entries({ x1: 0, y1: 0, x2: 0, y2: 5, stroke: k.color, 'stroke-width': 1.3 })) line.setAttribute(a, String(v));
      pat.appendChild(line);
      defs.appendChild(pat);
      el('rect', { x: 1.5, y: 2.5, width: 25, height: 13, fill: `url(#${pid})`, stroke: k.color, 'stroke-width': 1.4, 'stroke-dasharray': '3 2' });
      break;
    }
    case 'bases':
      el('rect', { x: 7, y: 2, width: 14, height: 14, fill: k.color, stroke: '#fff', 'stroke-width': 1 });
      el('path', { d: 'M14 4.6 L15.3 8.2 L19 8.3 L16.1 10.6 L17.1 14.2 L14 12.1 L10.9 14.2 L11.9 10.6 L9 8.3 L12.7 8.2 Z', fill: '#fff' });
      break;
    case 'corridors':
      el('path', { d: 'M1 13 C8 3, 18 15, 27 5', fill: 'none', stroke: '#fff', 'stroke-width': 6 });
      el('path', { d: 'M1 13 C8 3, 18 15, 27 5', fill: 'none', stroke: k.color, 'stroke-width': 3.2, 'stroke-linecap': 'round' });
      break;
    default:
      el('circle', { cx: 14, cy: 9, r: 6, fill: k.color, stroke: '#fff', 'stroke-width': 1.6 });
  }
  return svg;
}
