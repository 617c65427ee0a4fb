// The permalink: the state (view, layers, feature, date, list) read from the
// query and the hash at start, written to the hash as it changes, and the
// full map's URL with it as query flags (for embeds and their dialog).
import { formatHash, parseHash } from './hash.js';
import { mapURL } from './urls.js';
import { getDataVersion } from './util.js';

const $ = (id) => document.getElementById(id);

/**
 * The starting state: the query's flags (/embed, or a query permalink on /),
 * then, on the full map, the hash's parts over them.
 */
export function initialState({ embed, flags }) {
  const fromQuery = { view: flags.view, bbox: flags.bbox, layers: flags.layers, feature: flags.feature, date: flags.date };
  if (embed) return fromQuery;
  const fromHash = parseHash(location.hash);
  const out = { ...fromQuery };
  for (const [k, v] of Object.entries(fromHash)) if (v !== undefined) out[k] = v;
  if (fromHash.view) delete out.bbox;
  return out;
}

/** ui: setLayers, setDate, selectFeature, closePanel (a hash typed or pasted by hand). */
export function createPermalink(app, page, ui) {
  const { embed, flags } = page;
  let lastHash = ''; // the hash this page wrote last

  function currentHashState() {
    let view = null;
    if (app.map) {
      const c = app.map.getCenter();
      view = { zoom: app.map.getZoom(), lat: c.lat, lon: c.lng };
    }
    return {
      view,
      layers: app.collections.map((c) => c.id).filter((id) => app.state.layers.has(id)),
      feature: app.state.feature,
      date: app.state.date,
      list: app.state.list && app.mode === 'map',
    };
  }

  /**
   * The full map (/) with the current state as query flags: what the embed's
   * "Full map and sources" link and the embed dialog's caption point at.
   */
  function fullMapURL(over = {}) {
    const s = currentHashState();
    return mapURL({ layers: s.layers, view: s.view, bbox: s.view ? null : flags.bbox, feature: s.feature, date: s.date, v: getDataVersion(), ...over });
  }

  function writeHash() {
    if (!app.collections.length) return;
    if (embed) {
      const link = $('full-link');
      if (link) link.href = fullMapURL();
      return;
    }
    const hash = formatHash(currentHashState());
    if (hash !== lastHash && hash !== location.hash) {
      history.replaceState(history.state, '', hash);
    }
    lastHash = hash;
  }

  function onHashChange() {
    if (location.hash === lastHash) return;
    const s = parseHash(location.hash);
    if (s.layers) ui.setLayers(s.layers);
    if (s.date !== undefined || app.state.date) ui.setDate(s.date || '');
    if (s.view && app.map) app.map.jumpTo({ center: [s.view.lon, s.view.lat], zoom: s.view.zoom });
    if (s.feature && app.features.has(s.feature)) ui.selectFeature(s.feature, { fly: !s.view });
    else if (!s.feature && app.state.feature) ui.closePanel();
    writeHash();
  }

  return { currentHashState, fullMapURL, writeHash, onHashChange };
}
