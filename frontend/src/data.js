// Loading and indexing the layers, passages and sources from this server.
import { dateFrom, dateTo, fold, geometryBBox, getJSON, labelPoint, splitList, todayNumber } from './util.js';
import { passagesURL, sourcesURL } from './urls.js';

/**
 * A feature as the app keeps it:
 * {key: "layer/id", layer, id, kind, props, geometry, bbox, from, to, hist, names: [folded strings]}
 */
export function indexLayer(collection, fc, today = todayNumber()) {
  const out = [];
  for (const f of fc.features || []) {
    const id = String(f.id ?? f.properties?.id ?? '');
    if (!id || !f.geometry) continue;
    const props = f.properties || {};
    const from = dateFrom(props.valid_from);
    const to = dateTo(props.valid_to);
    out.push({
      key: `${collection.id}/${id}`,
      layer: collection.id,
      id,
      kind: collection.kind,
      props,
      geometry: f.geometry,
      bbox: geometryBBox(f.geometry),
      from,
      to,
      hist: isHistorical(collection.kind, props, to, today),
      names: searchNames(props).map(fold),
    });
  }
  out.sort((a, b) => String(a.props.name).localeCompare(String(b.props.name)));
  return out;
}

/**
 * Historical: the status says so ("historical…", "withdrawn…"), or the
 * validity ended before today. Events are exempt from the date rule: an event
 * is always in the past once it happened, and greying every event would hide
 * what the layer is for.
 */
export function isHistorical(kind, props, to, today) {
  const status = String(props.status || '').trim().toLowerCase();
  if (status.startsWith('historical') || status.startsWith('withdrawn')) return true;
  if (kind === 'events') return false;
  return to < today;
}

/** Every name a feature is known by: name, name_*, aliases. */
export function searchNames(props) {
  const names = [props.name];
  for (const [k, v] of Object.entries(props)) if (k.startsWith('name_') && v) names.push(v);
  names.push(...splitList(props.aliases));
  return names.filter(Boolean).map(String);
}

/** Does the feature stand at the as-of day number (YYYYMMDD)? null = no filter. */
export function standsAt(f, day) {
  return day === null || (f.from <= day && day <= f.to);
}

/**
 * The GeoJSON handed to MapLibre for one layer: flat properties plus the
 * app's own (_key, _layer, _hist, _from, _to), and for areas of non-border layers a
 * label point (_label) well inside the polygon. Lines of those layers get
 * _fitz, the zoom from which their name fits along them, and a label point
 * halfway along them for the zooms below it.
 */
export function toMapData(features) {
  const out = [];
  for (const f of features) {
    const props = { name: f.props.name, _key: f.key, _layer: f.layer, _hist: f.hist, _from: f.from, _to: f.to };
    out.push({ type: 'Feature', geometry: f.geometry, properties: props });
    // Border lines and country areas are named by the basemap, not by label points.
    if (f.kind === 'borders' || f.kind === 'countries') continue;
    if (/Polygon$/.test(f.geometry.type)) {
      const pt = labelPoint(f.geometry);
      if (pt) out.push({ type: 'Feature', geometry: { type: 'Point', coordinates: pt }, properties: { ...props, _label: true } });
    } else if (/LineString$/.test(f.geometry.type) && f.props.name) {
      const mid = lineMiddle(f.geometry);
      if (!mid) continue;
      props._fitz = fitZoom(mid.km, mid.at[1], String(f.props.name));
      out.push({ type: 'Feature', geometry: { type: 'Point', coordinates: mid.at }, properties: { ...props, _label: true } });
    }
  }
  return { type: 'FeatureCollection', features: out };
}

const KM_PER_DEG = 111.32;

/** The point halfway along the longest part of a (Multi)LineString, and that part's length in km. */
export function lineMiddle(g) {
  const parts = g.type === 'LineString' ? [g.coordinates] : g.coordinates;
  const seg = (a, b) => Math.hypot((b[0] - a[0]) * Math.cos(((a[1] + b[1]) / 2) * Math.PI / 180), b[1] - a[1]) * KM_PER_DEG;
  let best = null;
  for (const p of parts) {
    let km = 0;
    for (let i = 1; i < p.length; i++) km += seg(p[i - 1], p[i]);
    if (p.length > 1 && (!best || km > best.km)) best = { p, km };
  }
  if (!best) return null;
  let left = best.km / 2;
  for (let i = 1; i < best.p.length; i++) {
    const [a, b] = [best.p[i - 1], best.p[i]];
    const d = seg(a, b);
    if (d >= left && d > 0) {
      const t = left / d;
      return { at: [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t], km: best.km };
    }
    left -= d;
  }
  return { at: best.p[0], km: best.km };
}

/**
 * The zoom from which a name (11.5 px type, about 6.4 px a character) fits
 * along a line of km kilometres at latitude lat, with a quarter to spare
 * (MapLibre's 512 px world at zoom 0).
 */
export function fitZoom(km, lat, name) {
  const labelPx = name.length * 6.4 * 1.25;
  const worldKm = 40075 * Math.cos((lat * Math.PI) / 180);
  return km > 0 ? Math.log2((labelPx * worldKm) / (512 * km)) : 99;
}

let evidencePromise = null;
let evidenceStale = false;

/** After a publish: the next loadEvidence asks the server again. */
export function forgetEvidence() {
  evidencePromise = null;
  evidenceStale = true;
}

/**
 * The passages (with the features each backs) and the sources, loaded once,
 * on demand (search over passage text, the list view).
 * → {passages: [...], byFeature: Map(key → [{passage, claim}]), sources: Map(id → source)}
 */
export function loadEvidence() {
  if (!evidencePromise) {
    const init = evidenceStale ? { cache: 'no-cache' } : {};
    evidenceStale = false;
    evidencePromise = Promise.all([getJSON(passagesURL(), init), getJSON(sourcesURL(), init)]).then(([p, s]) => {
      const sources = new Map((s.sources || []).map((x) => [x.id, x]));
      const byFeature = new Map();
      const passages = p.passages || [];
      for (const pas of passages) {
        pas.folded = fold(pas.exact);
        for (const fe of pas.features || []) {
          const key = `${fe.layer}/${fe.feature}`;
          if (!byFeature.has(key)) byFeature.set(key, []);
          for (const claim of fe.claims || [{}]) byFeature.get(key).push({ passage: pas, claim });
        }
      }
      return { passages, byFeature, sources };
    });
    evidencePromise.catch(() => { evidencePromise = null; });
  }
  return evidencePromise;
}

/** The basemap's extent (its bbox member) as a polygon: where the sea colour applies. */
export function basemapExtent(fc) {
  const [a, b, c, d] = Array.isArray(fc.bbox) && fc.bbox.length === 4 ? fc.bbox : [-180, -85, 180, 85];
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[a, b], [c, b], [c, d], [a, d], [a, b]]] } };
}
