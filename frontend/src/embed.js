// The embed page (/embed?...): its footer (compact legend, the link to the
// full map), the brief feature line for sources=count|none, the picture
// shown without WebGL, the dark basemap, and the height messages to the
// host page.
import { legendSymbol, perFeature } from './mapstyle.js';
import { mapURL, pictureURL } from './urls.js';
import { h } from './util.js';

/** The footer: compact legend (legend=1), then "Full map and sources". */
export function embedFooter(app, flags) {
  const shown = app.collections.filter((c) => app.state.layers.has(c.id));
  const legend = flags.legend && shown.length
    ? h('ul', { class: 'embed-legend', 'aria-label': 'Legend' }, shown.map((c) =>
      h('li', { dataset: { layer: c.id } }, legendSymbol(c.kind), h('span', null, c.title || c.id))))
    : null;
  const href = app.fullMapURL ? app.fullMapURL() : mapURL({});
  return [
    legend,
    h('p', { class: 'embed-links' },
      h('a', { id: 'full-link', href, target: '_blank', rel: 'noopener' }, 'Full map and sources'),
      h('span', { class: 'muted' }, ' · every feature cites its sources'),
      app.state.date ? h('span', { class: 'muted', id: 'embed-date' }, ` · as of ${app.state.date}`) : null,
      app.dataVersion ? h('span', { class: 'muted', id: 'embed-version' }, ` · data version ${app.dataVersion}`) : null),
  ];
}

/**
 * sources=count: the feature's name, how many sources back it and a link
 * to them on the full map. sources=none: the name and the link only.
 */
export function renderEmbedInfo(f, col, mode, href, onClose) {
  // source_count counts only sources that state something explicitly; a
  // context feature has none and says what it is instead.
  const n = Number(f.props.source_count) || 0;
  const context = f.kind === 'context';
  return [
    h('p', { class: 'embed-info-line' },
      h('strong', { class: 'embed-info-name' }, f.props.name || f.id),
      h('span', { class: 'muted' }, ` · ${col?.title || f.layer}`),
      mode === 'count' && !context ? h('span', { class: 'embed-count', dataset: { count: String(n) } }, ` · ${n} source${n === 1 ? '' : 's'}`) : null,
      mode === 'count' && context ? h('span', { class: 'embed-count embed-context muted' }, ' · context, not cited') : null,
      ' · ',
      h('a', { href, target: '_blank', rel: 'noopener', class: 'embed-info-link' }, mode === 'count' && !context ? 'Read them on the full map' : 'On the full map')),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Close', onclick: onClose }, '×'),
  ];
}

/** The server's drawing of the view, for an embed where WebGL is missing. */
export function staticPicture(app, state, width, height) {
  const w = Math.max(16, Math.min(2000, Math.round(width || 800)));
  const hgt = Math.max(16, Math.min(2000, Math.round(height || 480)));
  const names = app.collections.filter((c) => app.state.layers.has(c.id)).map((c) => c.title || c.id);
  return h('img', {
    class: 'static-map',
    src: pictureURL({ ...state, legend: app.embed?.legend }, w, hgt),
    width: w,
    height: hgt,
    alt: `Map of the South Caucasus and Central Asia showing ${names.join(', ') || 'no layer'}.`,
  });
}

/** Basemap colours for theme=dark (the data layers keep theirs). */
export function applyMapTheme(map, theme) {
  if (theme !== 'dark') return;
  const set = (layer, prop, value) => { if (map.getLayer(layer)) map.setPaintProperty(layer, prop, value); };
  set('background', 'background-color', '#30353b');
  // Per feature, as the style sets them (sharedPrograms).
  set('basemap-sea', 'fill-color', perFeature('#1c2a35'));
  set('basemap-sea', 'fill-outline-color', perFeature('#1c2a35'));
  set('basemap-land', 'fill-color', perFeature('#3a3d41'));
  set('basemap-land', 'fill-outline-color', perFeature('#3a3d41'));
  set('basemap-border', 'line-color', perFeature('#6b6f75'));
  set('basemap-rivers', 'line-color', perFeature('#4d7394'));
  set('water-rivers', 'text-color', '#8fb3cf');
  set('water-rivers', 'text-halo-color', '#3a3d41');
  set('basemap-labels', 'text-color', '#b7bcc2');
  set('basemap-labels', 'text-halo-color', '#3a3d41');
}

/**
 * Tells the host page the document's height whenever it changes: our own
 * {type:'citemap:resize', height} (read by /assets/embed.js) and AMP's
 * {sentinel:'amp', type:'embed-size', height} (read by amp-iframe). Both are
 * always sent: guessing whether the parent is AMP from window.name or the
 * referrer is unreliable, and a page that does not listen ignores them.
 */
export function postHeights(app) {
  if (window.parent === window) return;
  let last = 0;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (!height || height === last) return;
    last = height;
    app.postedHeight = height;
    window.parent.postMessage({ type: 'citemap:resize', height }, '*');
    window.parent.postMessage({ sentinel: 'amp', type: 'embed-size', height }, '*');
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
}
