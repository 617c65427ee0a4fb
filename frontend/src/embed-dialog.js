// The full map's "Embed" dialog: the current layers, view, feature and date
// as an HTML snippet to paste into an article (an iframe of /embed, a
// <noscript> picture, a caption linking to the full map, and the resize
// script). Every value from the data is escaped (escapeHTML).
import { embedScriptURL, embedURL, isStatic, mapURL, pictureURL } from './urls.js';
import { escapeHTML, getDataVersion } from './util.js';

const $ = (id) => document.getElementById(id);

let current = null; // {app, state} while the dialog is open

/** What the snippet shows, in words: its title and the picture's alt text. */
export function describe(app, state) {
  const titles = app.collections.filter((c) => state.layers.includes(c.id)).map((c) => c.title || c.id);
  const f = state.feature ? app.features.get(state.feature) : null;
  const name = f ? String(f.props.name || f.id) : '';
  const title = `Map: ${name || titles.join(', ') || 'South Caucasus and Central Asia'}${state.date ? ` as of ${state.date}` : ''}`;
  const where = state.view
    ? ` centred near ${Math.abs(state.view.lat).toFixed(2)}°${state.view.lat >= 0 ? 'N' : 'S'}, ${Math.abs(state.view.lon).toFixed(2)}°${state.view.lon >= 0 ? 'E' : 'W'} (zoom ${Math.round(state.view.zoom * 10) / 10})`
    : '';
  const alt = `Map of the South Caucasus and Central Asia${where} showing ${titles.join(', ') || 'no layer'}`
    + `${name ? `, with ${name} highlighted` : ''}${state.date ? `, as it stood on ${state.date}` : ''}.`;
  return { title, alt };
}

/**
 * embedSnippet(app, state, options) → the HTML to paste.
 * options: {height, legend, sources, static, pin}
 */
export function embedSnippet(app, state, opts) {
  const v = opts.pin ? (getDataVersion() || app.dataVersion || 0) : 0;
  const where = { layers: state.layers, view: state.view, feature: state.feature, date: state.date };
  const src = embedURL({ ...where, legend: opts.legend, sources: opts.sources, static: opts.static, v });
  const img = pictureURL({ ...where, legend: opts.legend, v }, 1200, 630, true);
  const full = mapURL({ ...where, v });
  const { title, alt } = describe(app, state);
  const e = escapeHTML;
  return [
    '<figure class="citemap-embed" style="margin:1em 0">',
    `<iframe src="${e(src)}" title="${e(title)}" width="100%" height="${opts.height}" loading="lazy" allowfullscreen style="border:0"></iframe>`,
    `<noscript><img src="${e(img)}" width="1200" height="630" alt="${e(alt)}" style="max-width:100%;height:auto"></noscript>`,
    `<figcaption>${e(title)}. Every feature cites its sources: <a href="${e(full)}">full map and sources</a> (citemap).</figcaption>`,
    '</figure>',
    `<script src="${e(embedScriptURL())}" async></script>`,
  ].join('\n');
}

function options(app) {
  const hgt = Math.round(Number($('embed-height').value));
  return {
    height: Number.isFinite(hgt) && hgt >= 200 && hgt <= 3000 ? hgt : 480,
    legend: $('embed-legend').checked,
    sources: $('embed-sources').value,
    static: $('embed-static').checked,
    pin: !isStatic() && $('embed-pin').checked && !!(getDataVersion() || app.dataVersion),
  };
}

function refresh() {
  if (!current) return;
  const opts = options(current.app);
  $('embed-code').value = embedSnippet(current.app, current.state, opts);
  const m = /src="([^"]+\/embed\/?\?[^"]*)"/.exec($('embed-code').value);
  if (m) $('embed-preview').href = m[1].replaceAll('&amp;', '&');
  $('embed-copied').textContent = '';
}

export function openEmbedDialog(app, state) {
  current = { app, state };
  // A static export is one fixed data version, and its embed pages take
  // no query: there is no version to pin, so the choice is not offered.
  const v = isStatic() ? 0 : getDataVersion() || app.dataVersion;
  $('embed-pin').closest('label').hidden = isStatic();
  $('embed-pin').disabled = !v;
  $('embed-pin').checked = !!v;
  $('embed-version').textContent = v ? ` (v${v}): the embed never changes` : ' (the server does not say its data version)';
  refresh();
  const dialog = $('embed-dialog');
  dialog.showModal();
  const code = $('embed-code');
  code.focus();
  code.select();
  code.scrollTop = 0;
}

async function copy() {
  const text = $('embed-code');
  const status = $('embed-copied');
  try {
    if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text.value);
    status.textContent = 'Copied.';
    status.dataset.how = 'clipboard';
  } catch {
    // No clipboard API (an http page that is not localhost, or permission
    // refused): select the text so Ctrl+C / ⌘C copies it.
    text.focus();
    text.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    status.textContent = ok ? 'Copied.' : 'Selected: press Ctrl+C (⌘C on a Mac) to copy.';
    status.dataset.how = ok ? 'execCommand' : 'selected';
  }
}

export function wireEmbedDialog(app) {
  const dialog = $('embed-dialog');
  for (const id of ['embed-height', 'embed-legend', 'embed-sources', 'embed-static', 'embed-pin']) {
    $(id).addEventListener('input', refresh);
    $(id).addEventListener('change', refresh);
  }
  $('embed-copy').addEventListener('click', copy);
  $('embed-close').addEventListener('click', () => dialog.close());
  // Escape closes a modal <dialog> by itself; focus goes back to the button.
  dialog.addEventListener('close', () => {
    current = null;
    $('btn-embed').focus();
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) dialog.close();
  });
  app.embedSnippet = (state, opts) => embedSnippet(app, state, opts);
}
