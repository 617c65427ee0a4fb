// Every address the front end reads data from, in one place. The live
// server answers all of them; a static export (mapserver export-site) must
// offer the same data at paths a static host serves as files, so a change
// of scheme is made here and nowhere else. `versioned` adds ?v=N when a
// data version is pinned (a permalink to an older version).
import { versioned } from './util.js';

const enc = encodeURIComponent;

/** The collections (layers) and their metadata. */
export const collectionsURL = () => versioned('/collections?f=json');

/** A layer as one GeoJSON FeatureCollection (small layers only, see tiles.js). */
export const layerURL = (layer) => versioned(`/layers/${enc(layer)}.geojson`);

/** One feature with its evidence (claims, passages, sources). */
export const itemURL = (layer, id) => versioned(`/collections/${enc(layer)}/items/${enc(id)}?f=json`);

/** Every passage, with the features it backs. */
export const passagesURL = () => '/passages?f=json';

/** Every source. */
export const sourcesURL = () => '/sources?f=json';

/** A layer's TileJSON (bounds, zooms, fields); the basemap's too. */
export const tileJSONURL = (layer) => versioned(`/tiles/${enc(layer)}.json`);

/**
 * A layer's vector tiles as the absolute URL template MapLibre expects
 * ({z}/{x}/{y} left as they are: URL() would escape the braces).
 */
export function tileURL(layer) {
  const path = versioned(`/tiles/${enc(layer)}/{z}/{x}/{y}.mvt`);
  return new URL(path, location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}');
}
