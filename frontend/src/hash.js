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
