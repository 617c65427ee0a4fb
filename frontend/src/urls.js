// Every address the front end reads data from, in one place. The live
// server answers all of them; a static export (mapserver export-site)
// offers the same data at paths a static host serves as files, so a change
// of scheme is made here and nowhere else. `versioned` adds ?v=N when a
// data version is pinned (a permalink to an older version).
//
// An exported page says it is served from files with
// <meta name="citemap:static" content="/base/path/" data-tiles-maxzoom="6"
// data-version="N">: then each address is the exported file's, under that
// base path, and tiles come from one PMTiles archive per layer (read with
// range requests, through the pmtiles protocol the map registers). The
// export is one data version, N: `v` is left out of every address there,
// a `v` in the page's own query is not honoured (a static host ignores
// it), and nothing offers to pin a version.
import { formatQuery } from './hash.js';
import { getDataVersion, versioned } from './util.js';

const enc = encodeURIComponent;

const staticMeta = typeof document === 'undefined' ? null : document.querySelector('meta[name="citemap:static"]');

/** The static site's base path ("/" or "/citemap/"), or null on the live server. */
export const STATIC_BASE = staticMeta ? slashed(staticMeta.getAttribute('content')) : null;

/** The deepest zoom of an export's tile archives (the map over-zooms beyond). */
export const STATIC_TILES_MAXZOOM = staticMeta ? Number(staticMeta.dataset.tilesMaxzoom) || 6 : null;

function slashed(p) {
  let s = String(p || '/');
  if (!s.startsWith('/')) s = '/' + s;
  return s.endsWith('/') ? s : s + '/';
}

/** The one data version an export holds (0 when it does not say), or null on the live server. */
export const STATIC_VERSION = staticMeta ? Number(staticMeta.dataset.version) || 0 : null;

/**
 * The data version the page shows for a requested `v` (0: the latest): on
 * an export always the version its files hold, whatever was asked.
 */
export const shownVersion = (requested) => (STATIC_VERSION === null ? requested || 0 : STATIC_VERSION);

/** The layers of an export drawn from tiles: their features have no picture of their own there. */
const STATIC_TILED = new Set(staticMeta ? (staticMeta.dataset.tiled || '').split(',').filter(Boolean) : []);

/** Is the page served from a static export? */
export const isStatic = () => STATIC_BASE !== null;

/** path on this site: under the static base path, or as the server has it. */
const site = (path) => (STATIC_BASE === null ? path : STATIC_BASE + path.replace(/^\//, ''));

/** An absolute address on this site (for snippets pasted elsewhere). */
const absolute = (path) => location.origin + site(path);

/** The collections (layers) and their metadata. */
export const collectionsURL = () => (isStatic() ? site('collections.json') : versioned('/collections?f=json'));

/** A layer as one GeoJSON FeatureCollection (small layers only, see tiles.js). */
export const layerURL = (layer) => (isStatic() ? site(`/layers/${enc(layer)}.geojson`) : versioned(`/layers/${enc(layer)}.geojson`));

/** One feature with its evidence (claims, passages, sources). */
export const itemURL = (layer, id) => (isStatic()
  ? site(`/collections/${enc(layer)}/items/${enc(id)}.json`)
  : versioned(`/collections/${enc(layer)}/items/${enc(id)}?f=json`));

/**
 * The server's search of features by name in the given layers (those the map
 * draws from tiles, whose features it does not hold); null on a static
 * export, which has no server to ask (see exportsearch.js).
 */
export const searchURL = (q, layers, limit) => (isStatic()
  ? null
  : versioned(`/search?q=${enc(q)}&layers=${layers.map(enc).join(',')}&limit=${limit}`));

/** On an export: the static search index of a tiled layer (its first keys), and one of its shards. */
export const searchIndexURL = (layer) => site(`/search/${enc(layer)}/index.json`);
export const searchShardURL = (layer, key) => site(`/search/${enc(layer)}/${[...new TextEncoder().encode(key)].map((b) => b.toString(16).padStart(2, '0')).join('')}.json`);

/**
 * A page of a layer's features in a box (the list view of a layer drawn from
 * tiles); null on a static export, whose items pages hold only a first page.
 */
export const itemsInBoxURL = (layer, bbox, limit) => (isStatic()
  ? null
  : versioned(`/collections/${enc(layer)}/items?f=json&bbox=${bbox.map((x) => x.toFixed(5)).join(',')}&limit=${limit}`));

/**
 * An export's first page of a layer's features (the file the server's first
 * items page became); null on the live server, which answers box queries.
 */
export const firstItemsPageURL = (layer) => (isStatic() ? site(`/collections/${enc(layer)}/items.json`) : null);

/** Every passage, with the features it backs. */
export const passagesURL = () => (isStatic() ? site('/passages.json') : '/passages?f=json');

/** Every source. */
export const sourcesURL = () => (isStatic() ? site('/sources.json') : '/sources?f=json');

/** A layer's TileJSON (bounds, zooms, fields); the basemap's too. */
export const tileJSONURL = (layer) => (isStatic() ? site(`/tiles/${enc(layer)}.json`) : versioned(`/tiles/${enc(layer)}.json`));

/**
 * A layer's vector tiles as the absolute URL template MapLibre expects
 * ({z}/{x}/{y} left as they are: URL() would escape the braces). On an
 * export, tiles of the layer's PMTiles archive (pmtiles://URL/{z}/{x}/{y}).
 */
export function tileURL(layer) {
  if (isStatic()) return `pmtiles://${absolute(`/tiles/${enc(layer)}.pmtiles`)}/{z}/{x}/{y}`;
  const path = versioned(`/tiles/${enc(layer)}/{z}/{x}/{y}.mvt`);
  return new URL(path, location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}');
}

/** A download of a whole layer: geojson, gpkg or csv; pinned: with the data version, if any. */
export const downloadURL = (layer, ext, pinned = false) => {
  const path = `/layers/${enc(layer)}.${ext}`;
  return isStatic() ? site(path) : pinned ? versioned(path) : path;
};

/** The feature as GeoJSON, as a link (the same document the panel reads). */
export const featureDownloadURL = (layer, id) => itemURL(layer, id);

/** The source reader, at a passage when given. */
export function sourcePageURL(source, passage) {
  const hash = passage ? `#passage-${enc(passage)}` : '';
  return isStatic() ? site(`/sources/${enc(source)}/`) + hash : `/sources/${enc(source)}${hash}`;
}

/** The full map, absolute, with the state as a query (a permalink). */
export function mapURL(state) {
  const q = formatQuery({ ...state, v: isStatic() ? null : state.v });
  return absolute('/') + (q ? '?' + q : '');
}

/** The embed page, absolute, with its flags. */
export function embedURL(flags) {
  const q = formatQuery({ ...flags, v: isStatic() ? null : flags.v });
  return (isStatic() ? absolute('/embed/') : absolute('/embed')) + (q ? '?' + q : '');
}

/**
 * The server's picture of a view (flags as for the embed) at width×height.
 * An export holds a picture of the default view and of each feature, at
 * 1200×630: the feature's when one is selected (of a layer the map holds
 * whole), else the map's.
 */
export function pictureURL(flags, width, height, abs = false) {
  let path;
  if (isStatic()) {
    const [layer, ...id] = String(flags.feature || '').split('/');
    path = flags.feature && !STATIC_TILED.has(layer) ? `/static/${enc(layer)}/${enc(id.join('/'))}.png` : '/static/map.png';
  } else {
    path = `/static/map.png?${formatQuery({ ...flags, v: flags.v ?? getDataVersion() })}&width=${width}&height=${height}`;
  }
  return abs ? absolute(path) : site(path);
}

/** The resize script host pages include with an embed. */
export const embedScriptURL = () => absolute('/assets/embed.js');

/** The deepest zoom to ask a layer's tiles for: fallback, or what an export holds. */
export const tileMaxZoom = (fallback) => (isStatic() ? Math.min(fallback, STATIC_TILES_MAXZOOM) : fallback);

/** One of the front end's own files (/assets/...), under the site's base path. */
export const assetURL = (path) => new URL(site(path), location.href).href;

/**
 * Lets MapLibre read tiles out of PMTiles archives (pmtiles:// addresses)
 * on a static export; the live server serves tiles itself, and its readers
 * never load the PMTiles reader (a separate chunk where the build splits).
 */
export async function registerTileProtocol(maplibregl) {
  if (!isStatic()) return;
  const { Protocol } = await import('pmtiles');
  maplibregl.addProtocol('pmtiles', new Protocol().tile);
}
