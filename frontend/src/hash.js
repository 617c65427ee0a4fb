// The permalink: the URL hash carries the view, the visible layers, the
// selected feature and the as-of date, e.g.
//   #map=6/40.50/45.00&layers=borders,disputed,bases&feature=bases/gyumri-102nd-base&date=2025-01-01
// Every part is optional; a hash with only feature= flies to that feature.

const FEATURE_RE = /^[A-Za-z0-9_-]+\/[A-Za-z0-9._~-]+$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** parseHash(location.hash) → {view?, layers?, feature?, date?, list?} (absent parts undefined). */
export function parseHash(hash) {
  const out = {};
  const s = String(hash || '').replace(/^#/, '');
  if (!s) return out;
  for (const part of s.split('&')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const key = part.slice(0, i);
    let val;
    try { val = decodeURIComponent(part.slice(i + 1).replace(/\+/g, ' ')); } catch { continue; }
    switch (key) {
      case 'map': {
        const m = /^(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(val);
        if (m) {
          const zoom = +m[1], lat = +m[2], lon = +m[3];
          if (zoom >= 0 && zoom <= 22 && Math.abs(lat) <= 85 && Math.abs(lon) <= 180) out.view = { zoom, lat, lon };
        }
        break;
      }
      case 'layers':
        out.layers = val.split(',').map((x) => x.trim()).filter(Boolean);
        break;
      case 'feature':
        if (FEATURE_RE.test(val)) out.feature = val;
        break;
      case 'date':
        if (DATE_RE.test(val)) out.date = val;
        break;
      case 'view':
        if (val === 'list') out.list = true;
        break;
      default:
    }
  }
  return out;
}

// Keeps / and , readable in the hash.
const enc = (s) => encodeURIComponent(s).replace(/%2F/gi, '/').replace(/%2C/gi, ',');

/** formatHash(state) → "#map=…&layers=…[&feature=…][&date=…][&view=list]". */
export function formatHash({ view, layers, feature, date, list }) {
  const parts = [];
  if (view) parts.push(`map=${roundZoom(view.zoom)}/${view.lat.toFixed(2)}/${view.lon.toFixed(2)}`);
  if (layers) parts.push(`layers=${enc(layers.join(','))}`);
  if (feature) parts.push(`feature=${enc(feature)}`);
  if (date) parts.push(`date=${enc(date)}`);
  if (list) parts.push('view=list');
  return '#' + parts.join('&');
}

function roundZoom(z) {
  return Math.round(z * 100) / 100;
}

// The render flags of /embed and of a query permalink on / (the server has
// already checked them): ?layers=a,b&view=z/lat/lon|bbox=w,s,e,n&feature=l/id
// &date=YYYY-MM-DD&theme=&legend=&sources=&static=&v=N

/** parseQuery(location.search) → {view?, bbox?, layers?, feature?, date?, theme, legend, sources, static, v} */
export function parseQuery(search) {
  const q = new URLSearchParams(String(search || ''));
  const out = { theme: 'auto', legend: true, sources: 'panel', static: false, v: 0 };
  const view = q.get('view');
  if (view) {
    const v = parseHash('#map=' + encodeURIComponent(view)).view;
    if (v) out.view = v;
  }
  const bbox = q.get('bbox');
  if (bbox) {
    const n = bbox.split(',').map(Number);
    if (n.length === 4 && n.every(Number.isFinite) && n[0] < n[2] && n[1] < n[3]) out.bbox = n;
  }
  if (q.get('layers')) out.layers = q.get('layers').split(',').map((x) => x.trim()).filter(Boolean);
  if (FEATURE_RE.test(q.get('feature') || '')) out.feature = q.get('feature');
  if (DATE_RE.test(q.get('date') || '')) out.date = q.get('date');
  if (['auto', 'light', 'dark'].includes(q.get('theme'))) out.theme = q.get('theme');
  if (q.get('legend') === '0') out.legend = false;
  if (['panel', 'count', 'none'].includes(q.get('sources'))) out.sources = q.get('sources');
  if (q.get('static') === '1') out.static = true;
  const v = Number(q.get('v'));
  if (Number.isInteger(v) && v > 0) out.v = v;
  return out;
}

/**
 * formatQuery(state) → "layers=…&view=…[&feature=…][&date=…][…][&v=N]"
 * (no leading "?"), the flags in the server's order; defaults are left out.
 */
export function formatQuery({ layers, view, bbox, feature, date, theme, legend, sources, static: still, v }) {
  const parts = [];
  if (layers) parts.push(`layers=${enc(layers.join(','))}`);
  if (view) parts.push(`view=${roundZoom(view.zoom)}/${view.lat.toFixed(2)}/${view.lon.toFixed(2)}`);
  else if (bbox) parts.push(`bbox=${bbox.map((x) => +x.toFixed(4)).join(',')}`);
  if (feature) parts.push(`feature=${enc(feature)}`);
  if (date) parts.push(`date=${enc(date)}`);
  if (theme && theme !== 'auto') parts.push(`theme=${enc(theme)}`);
  if (legend === false) parts.push('legend=0');
  if (sources && sources !== 'panel') parts.push(`sources=${enc(sources)}`);
  if (still) parts.push('static=1');
  if (v) parts.push(`v=${v}`);
  return parts.join('&');
}
