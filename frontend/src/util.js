// Small helpers shared by the map, the panels, the list and the search.
//
// Text from features and sources is ALWAYS inserted as text nodes: h()
// builds elements with createElement/textContent and never touches
// innerHTML, so a feature named `<img src=x onerror=...>` shows literally.

/**
 * h('p', {class: 'x', 'aria-label': 'y'}, 'text', child, ...) builds an element.
 * Attribute values are set with setAttribute (never as HTML); `on*` keys
 * become event listeners; children that are strings become text nodes;
 * null/false children are skipped; arrays are flattened.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style') throw new Error('h: style attributes are not allowed (CSP)');
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === '') continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * fold makes text comparable for search: Unicode compatibility
 * decomposition, combining marks removed, lower case, and the few letters
 * that do not decompose (ı, ə, ø, ß, ł, đ) and typographic punctuation
 * mapped to ASCII. "Nakhçıvan" → "nakhcivan", "Ts’khinvali" → "ts'khinvali".
 */
export function fold(s) {
  return String(s ?? '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ıİ]/g, 'i')
    .replace(/[əǝ]/g, 'e')
    .replace(/ø/g, 'o')
    .replace(/ß/g, 'ss')
    .replace(/ł/g, 'l')
    .replace(/đ/g, 'd')
    .replace(/[‘’ʼʻ`´]/g, "'")
    .replace(/[“”„]/g, '"')
    .replace(/[‐-―−]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Partial ISO dates (YYYY, YYYY-MM, YYYY-MM-DD) as comparable integers
 * YYYYMMDD. A partial date covers a period: as a start it means the period's
 * first day, as an end its last (day 31 is fine for comparing). Empty means
 * open: -Infinity-like 0 as a start, 99991231 as an end. Unparseable → open.
 */
export const OPEN_FROM = 0;
export const OPEN_TO = 99991231;

export function dateFrom(s) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(String(s ?? '').trim());
  if (!m) return OPEN_FROM;
  return +m[1] * 10000 + (m[2] ? +m[2] : 1) * 100 + (m[3] ? +m[3] : 1);
}

export function dateTo(s) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(String(s ?? '').trim());
  if (!m) return OPEN_TO;
  return +m[1] * 10000 + (m[2] ? +m[2] : 12) * 100 + (m[3] ? +m[3] : 31);
}

/** A full date YYYY-MM-DD as YYYYMMDD, or null. */
export function dayNumber(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s ?? ''));
  return m ? +m[1] * 10000 + +m[2] * 100 + +m[3] : null;
}

export function todayNumber(now = new Date()) {
  return now.getFullYear() * 10000 + (now.getMonth() + 1) * 100 + now.getDate();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2020-11" → "Nov 2020", "2024-10-18" → "18 Oct 2024", "2024" → "2024". */
export function formatDate(s) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(String(s ?? ''));
  if (!m) return String(s ?? '');
  if (m[3]) return `${+m[3]} ${MONTHS[+m[2] - 1] ?? m[2]} ${m[1]}`;
  if (m[2]) return `${MONTHS[+m[2] - 1] ?? m[2]} ${m[1]}`;
  return m[1];
}

/** The validity period as words: "since 1995", "Nov 2020 – 2024", "18 Oct 2024". */
export function formatPeriod(from, to) {
  from = from || '';
  to = to || '';
  if (!from && !to) return '';
  if (from && from === to) return formatDate(from);
  if (from && !to) return `since ${formatDate(from)}`;
  if (!from && to) return `until ${formatDate(to)}`;
  return `${formatDate(from)} – ${formatDate(to)}`;
}

/** "reinforcement_2025" → "Reinforcement 2025". */
export function humanize(key) {
  const s = String(key).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Splits a "; "-separated list, dropping empty items. */
export function splitList(s, sep = ';') {
  return String(s ?? '').split(sep).map((x) => x.trim()).filter(Boolean);
}

/**
 * An absolute link the server built from the request's host, made
 * same-origin (path + query + hash), so nothing ever leaves this server.
 */
export function localHref(href) {
  try {
    const u = new URL(href, location.href);
    return u.pathname + u.search + u.hash;
  } catch {
    return '#';
  }
}

// The pinned data version (`v=N`), or 0 for the latest. When set, every
// request for versioned data (collections, layers, items) carries it, so a
// published embed never changes.
let dataVersion = 0;

export function setDataVersion(v) {
  dataVersion = Number.isInteger(v) && v > 0 ? v : 0;
}

export function getDataVersion() {
  return dataVersion;
}

/** path with `v=N` added when a data version is pinned. */
export function versioned(path) {
  if (!dataVersion) return path;
  return path + (path.includes('?') ? '&' : '?') + 'v=' + dataVersion;
}

/** Escapes text for an HTML text node or a double-quoted attribute. */
export function escapeHTML(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** fetch JSON from this server, with a readable error. */
export async function getJSON(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { Accept: 'application/json, application/geo+json' } });
  if (!res.ok) {
    let detail = '';
    try { detail = (await res.json()).detail || ''; } catch { /* not JSON */ }
    throw new Error(`${path}: HTTP ${res.status}${detail ? ': ' + detail : ''}`);
  }
  return res.json();
}

const languageNames = (() => {
  try { return new Intl.DisplayNames(['en'], { type: 'language' }); } catch { return null; }
})();

/** "hy" → "Armenian". */
export function languageName(code) {
  try { return languageNames?.of(code) || code; } catch { return code; }
}

/** Bounding box [minx, miny, maxx, maxy] of any GeoJSON geometry. */
export function geometryBBox(geom) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      if (c[0] < b[0]) b[0] = c[0];
      if (c[1] < b[1]) b[1] = c[1];
      if (c[0] > b[2]) b[2] = c[0];
      if (c[1] > b[3]) b[3] = c[1];
    } else for (const x of c) walk(x);
  };
  if (geom?.type === 'GeometryCollection') for (const g of geom.geometries) walk(g.coordinates);
  else if (geom?.coordinates) walk(geom.coordinates);
  return b;
}

/**
 * A point well inside a polygon's largest part, for its label: a coarse
 * grid search for the inside point farthest from the edges (a cheap
 * pole-of-inaccessibility), falling back to the bbox centre.
 *
 * A grid point is measured first and given up as soon as an edge lies
 * nearer than the best point's: most points lose that way after a few
 * edges, and only the rare better one pays for the inside test (a pass
 * over every edge). The point found is the same as testing each one whole;
 * on the bundled data's areas this took the map's start 61 of 70 ms in
 * toMapData before.
 */
export function labelPoint(geom) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  if (!polys.length) return null;
  let best = null;
  let bestArea = -1;
  for (const p of polys) {
    const a = Math.abs(ringArea(p[0]));
    if (a > bestArea) { bestArea = a; best = p; }
  }
  const [minx, miny, maxx, maxy] = geometryBBox({ type: 'Polygon', coordinates: best });
  let cand = [(minx + maxx) / 2, (miny + maxy) / 2];
  let candD = insidePoly(cand, best) ? edgeDistance(cand, best, -1) : -1;
  let cx = cand[0], cy = cand[1], w = maxx - minx, hgt = maxy - miny;
  for (let round = 0; round < 3; round++) {
    const n = 12;
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        const pt = [cx - w / 2 + (w * i) / n, cy - hgt / 2 + (hgt * j) / n];
        const d = edgeDistance(pt, best, candD);
        if (d > candD && insidePoly(pt, best)) { candD = d; cand = pt; }
      }
    }
    cx = cand[0]; cy = cand[1]; w /= 4; hgt /= 4;
  }
  return cand;
}

function ringArea(r) {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return a / 2;
}

function insideRing(pt, r) {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i], [xj, yj] = r[j];
    if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function insidePoly(pt, poly) {
  if (!insideRing(pt, poly[0])) return false;
  for (let k = 1; k < poly.length; k++) if (insideRing(pt, poly[k])) return false;
  return true;
}

/**
 * The squared distance from pt to the nearest edge of poly, or, once an
 * edge at floor or nearer is met, that edge's (which is all a caller
 * comparing against floor needs).
 */
function edgeDistance(pt, poly, floor) {
  let min = Infinity;
  for (const r of poly) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const d = segDist(pt, r[j], r[i]);
      if (d < min) {
        min = d;
        if (min <= floor) return min;
      }
    }
  }
  return min;
}

function segDist(p, a, b) {
  let x = a[0], y = a[1];
  let dx = b[0] - x, dy = b[1] - y;
  if (dx !== 0 || dy !== 0) {
    const t = ((p[0] - x) * dx + (p[1] - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) { x = b[0]; y = b[1]; } else if (t > 0) { x += dx * t; y += dy * t; }
  }
  dx = p[0] - x; dy = p[1] - y;
  return dx * dx + dy * dy;
}
