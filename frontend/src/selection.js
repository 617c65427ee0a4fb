// The selected feature: its highlight on the map, and its panel with the
// evidence (or, in an embed with sources=count|none, a line under the map).
import { renderEmbedInfo } from './embed.js';
import { flyTo } from './map.js';
import { renderFeature } from './panel.js';
import { ensureFeature } from './tiles.js';
import { itemURL } from './urls.js';
import { getJSON, h, setChildren } from './util.js';

const $ = (id) => document.getElementById(id);

/**
 * ui: toggleLayer (a hidden layer shows when one of its features is
 * chosen), markListSelection, writeHash, fullMapURL.
 */
export function createSelection(app, page, ui) {
  const { embed, flags } = page;
  let selectSeq = 0; // the latest selection; older evidence answers are dropped
  const panelListeners = new Set(); // onFeaturePanel's
  let shown = null; // what the panel shows now: {layer, id, feature}

  /** Opens a feature: highlights it, shows its panel, optionally flies to it. */
  async function selectFeature(key, { fly = true, focus = true } = {}) {
    const seq = ++selectSeq;
    // A feature of a tiled layer is fetched by id the first time.
    const f = app.features.get(key) ?? await ensureFeature(app, key);
    if (!f || seq !== selectSeq) return;
    app.state.feature = key;
    // A hidden layer is shown when one of its features is chosen.
    if (!app.state.layers.has(f.layer)) ui.toggleLayer(f.layer, true);
    const col = app.collections.find((c) => c.id === f.layer);
    const brief = embed && flags.sources !== 'panel';
    if (brief) showInfo(f, col);
    else showPanel(f, null, col); // first: on a phone the map shrinks above the sheet
    if (app.map) {
      app.map.getSource('selection')?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: f.geometry, properties: {} }] });
      if (fly) flyTo(app.map, page, f);
    }
    ui.markListSelection();
    ui.writeHash();
    if (brief) return;
    try {
      const item = await getJSON(itemURL(f.layer, f.id));
      if (seq !== selectSeq) return;
      showPanel(f, item, col);
      if (focus) $('feature-panel').focus({ preventScroll: true });
    } catch (err) {
      if (seq !== selectSeq) return;
      setChildren($('feature-body'), h('p', { class: 'notice' }, `The evidence could not be loaded: ${err.message}`));
    }
  }

  /** sources=count|none in an embed: a line under the map, no passages. */
  function showInfo(f, col) {
    const info = $('embed-info');
    setChildren(info, renderEmbedInfo(f, col, flags.sources, ui.fullMapURL({ feature: f.key }), closePanel));
    info.hidden = false;
    info.dataset.feature = f.key;
  }

  function showPanel(f, item, col) {
    const panel = $('feature-panel');
    $('feature-title').textContent = f.props.name || f.id;
    setChildren($('feature-body'), renderFeature(f, item, col?.title || f.layer));
    if (embed) {
      // Links leave the frame in a new tab.
      for (const a of $('feature-body').querySelectorAll('a[href]')) {
        a.href = new URL(a.getAttribute('href'), location.href).href;
        a.target = '_blank';
        a.rel = 'noopener';
      }
    }
    panel.hidden = false;
    panel.dataset.feature = f.key;
    panel.dataset.loaded = item ? '1' : '0';
    if (!document.body.classList.contains('feature-open')) {
      document.body.classList.add('feature-open');
      if (!embed) app.map?.resize();
    }
    if (item) panel.scrollTop = 0;
    shown = { layer: f.layer, id: f.id, feature: item || null };
    for (const fn of panelListeners) callListener(fn);
  }

  function callListener(fn) {
    try {
      fn({ ...shown, element: $('feature-body') });
    } catch (err) {
      console.warn('feature panel listener:', err);
    }
  }

  function closePanel() {
    selectSeq++;
    shown = null;
    app.state.feature = null;
    $('feature-panel').hidden = true;
    if (embed) $('embed-info').hidden = true;
    document.body.classList.remove('feature-open');
    if (!embed) app.map?.resize();
    app.map?.getSource('selection')?.setData({ type: 'FeatureCollection', features: [] });
    ui.markListSelection();
    ui.writeHash();
  }

  /**
   * Registers fn({layer, id, feature, element}), called whenever the feature
   * panel renders (feature: the server's item once it has loaded, else null;
   * element: the panel's body), and at once when a panel is open. Returns
   * the function that unregisters it.
   */
  function onFeaturePanel(fn) {
    panelListeners.add(fn);
    if (shown && !$('feature-panel').hidden) callListener(fn);
    return () => { panelListeners.delete(fn); };
  }

  return { selectFeature, closePanel, onFeaturePanel };
}
