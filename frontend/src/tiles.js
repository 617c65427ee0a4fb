// What the map draws from vector tiles rather than whole GeoJSON: the
// basemap, and every layer the server marks "tiled" in /collections (more
// than 1000 features, or more than 256 KB of geometry: see the server's
// drawnFromTiles). A tiled layer is not downloaded whole: the map fetches
// the tiles in view, and a click fetches the feature (with its evidence)
// by id.
import { indexLayer } from './data.js';
import { getJSON } from './util.js';
import { itemURL, tileMaxZoom, tileURL } from './urls.js';

/** Deepest zoom fetched: the map over-zooms beyond (the basemap is 1:10m at best). */
const BASEMAP_MAXZOOM = 10;
const LAYER_MAXZOOM = 14;

/** Is collection c drawn from tiles? The server decides, for the map page's preload and the export too. */
export function isTiled(c) {
  return c?.tiled === true;
}

/** The MapLibre source of layer id's vector tiles. */
export function vectorSource(id) {
  return { type: 'vector', tiles: [tileURL(id)], minzoom: 0, maxzoom: tileMaxZoom(id === 'basemap' ? BASEMAP_MAXZOOM : LAYER_MAXZOOM) };
}

/**
 * A basemap style layer (written for sources 'basemap' and 'basemap-labels')
 * reading the basemap tiles: their layer 'basemap' (areas, lines, towns)
 * and 'labels' (the country label points).
 */
export function basemapFromTiles(layer) {
  if (layer.source === 'basemap') return { ...layer, 'source-layer': 'basemap' };
  if (layer.source === 'basemap-labels') return { ...layer, source: 'basemap', 'source-layer': 'labels' };
  return layer;
}

/**
 * A cited layer's style layer reading its tiles. The GeoJSON the app builds
 * carries _hist (toMapData); tiles carry status, _from and _to, so
 * "historical" is worked out by the style, as isHistorical does. Tiles carry
 * the areas' label points (_label) like toMapData.
 */
export function layerFromTiles(layer, kind, today) {
  const out = { ...layer, 'source-layer': layer.source };
  for (const k of ['filter', 'paint', 'layout']) if (k in layer) out[k] = rewrite(layer[k], kind, today);
  return out;
}

function histExpr(kind, today) {
  const status = ['downcase', ['to-string', ['coalesce', ['get', 'status'], '']]];
  const byStatus = ['any', ['==', ['slice', status, 0, 10], 'historical'], ['==', ['slice', status, 0, 9], 'withdrawn']];
  return kind === 'events' ? byStatus : ['any', byStatus, ['<', ['to-number', ['get', '_to'], 99991231], today]];
}

function rewrite(v, kind, today) {
  if (!Array.isArray(v)) {
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x, kind, today)]));
    return v;
  }
  if (v.length === 2 && v[0] === 'get' && v[1] === '_hist') return histExpr(kind, today);
  return v.map((x) => rewrite(x, kind, today));
}

/** The app key of a feature hit in a tiled layer. */
export function tiledKey(hit) {
  const p = hit.properties || {};
  return p.layer && p.id !== undefined ? `${p.layer}/${p.id}` : null;
}

/**
 * The feature behind key, fetched by id when its layer is tiled and the app
 * has not met it yet; it is kept in app.features from then on. null when
 * there is no such feature.
 */
export async function ensureFeature(app, key) {
  const known = app.features.get(key);
  if (known) return known;
  const slash = key.indexOf('/');
  const layer = key.slice(0, slash);
  const id = key.slice(slash + 1);
  const c = app.collections.find((x) => x.id === layer);
  if (slash < 0 || !isTiled(c)) return null;
  let item;
  try {
    item = await getJSON(itemURL(layer, id));
  } catch {
    return null;
  }
  const [f] = indexLayer(c, { type: 'FeatureCollection', features: [item] });
  if (!f) return null;
  app.features.set(key, f);
  return f;
}
