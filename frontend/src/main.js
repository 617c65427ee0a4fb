// citemap's browser map. Everything comes from this server (the addresses
// are built in urls.js): the layers (whole GeoJSON, or vector tiles for the
// basemap and large layers, see tiles.js), the evidence (a feature by id,
// the passages, the sources), MapLibre's worker and the fonts (/assets/).
//
// This entry wires the modules: map.js (the MapLibre map), layers.js (layer
// panel and as-of date), selection.js (the feature panel), permalink.js
// (query and hash), list.js (the list view), search.js, signin.js (sign in
// and out; the editor is a chunk loaded after a sign-in). Each takes the app
// state and the page explicitly; the actions they call on each other go
// through `ui`, filled in here before anything runs.
import { forgetEvidence, indexLayer } from './data.js';
import { embedFooter, postHeights, staticPicture } from './embed.js';
import { openEmbedDialog, wireEmbedDialog } from './embed-dialog.js';
import { createLayers } from './layers.js';
import { createList } from './list.js';
import { createMap, mark, populateMap, startWorkers, tightenToExtent, updateMapData, webgl2Available } from './map.js';
import { readPage } from './page.js';
import { createPermalink, initialState } from './permalink.js';
import { wireSearch } from './search.js';
import { createSelection } from './selection.js';
import { wireSignIn } from './signin.js';
import { ensureFeature, isTiled } from './tiles.js';
import { collectionsURL, isStatic, layerURL, shownVersion, tileJSONURL } from './urls.js';
import { getDataVersion, getJSON, setChildren, setDataVersion } from './util.js';

const $ = (id) => document.getElementById(id);

const page = readPage();
const { embed: EMBED, flags: FLAGS } = page;
setDataVersion(isStatic() ? 0 : FLAGS.v); // an export's files are one version: its addresses carry no v
if (EMBED) {
  document.documentElement.classList.add('embed');
  const dark = FLAGS.theme === 'dark' || (FLAGS.theme === 'auto' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

const app = {
  collections: [],          // [{id, title, kind, ...}] in server order
  features: new Map(),      // key → feature (see data.indexLayer)
  byLayer: new Map(),       // layer id → [feature]
  styleLayers: [],          // [{id, layers, filter, interactive, held}] (map.js insertLayer)
  drawOrder: [],            // [{id, stage}]: the map's data and label layers, bottom to top
  map: null,
  mode: 'map',              // 'map' | 'list' (no WebGL) | 'picture' (embed without WebGL)
  embed: EMBED ? FLAGS : null, // the embed's render flags
  dataVersion: shownVersion(FLAGS.v), // the pinned data version (an export's own), when known
  state: { layers: new Set(), feature: null, date: '', list: false },
  ready: false,
  marks: {},               // timings (ms since navigation start)
  session: null,           // {name, role} while signed in
};
let signIn = null; // {restore} on the full map
let ready;
const whenReady = new Promise((resolve) => { ready = resolve; });

const ui = {};
Object.assign(ui,
  createPermalink(app, page, ui),
  createLayers(app, page, ui),
  createSelection(app, page, ui),
  createList(app, page, ui));
// For tests and the curious.
app.fullMapURL = ui.fullMapURL;
app.visibleFeatures = ui.visibleFeatures;
app.toggleLayer = ui.toggleLayer;
app.selectFeature = ui.selectFeature;
window.citemap = app;

// Started from a microtask, not from the module's top level: a fetch or a
// worker started with the module's top level on the stack makes DevTools
// (and any browser automation, which records each request's initiator)
// collect source positions for the whole 1.2 MB module, a second parse of
// it, about 190 ms on a 2-core machine before the map could start.
queueMicrotask(() => boot().catch((err) => {
  console.warn(err);
  setStatus(`The map could not load: ${err.message}`);
}));

async function boot() {
  const gl = webgl2Available();
  if (gl) startWorkers(); // the map's worker loads while the page waits for its data
  const initial = initialState(page);
  if (!EMBED && location.search) {
    // The query has been read; the hash carries the state from now on. A
    // pinned version stays in the query (the server and the app read it).
    history.replaceState(history.state, '', location.pathname + (FLAGS.v && !isStatic() ? `?v=${FLAGS.v}` : '') + location.hash);
  }
  if (EMBED) {
    setChildren($('embed-foot'), embedFooter(app, FLAGS));
    $('embed-foot').hidden = false;
    sizeEmbedMap();
  }
  const colsReady = getJSON(collectionsURL());
  colsReady.catch(() => {}); // awaited below; handled there
  // The basemap's extent; its tiles are fetched by the map. (The server
  // preloads this small document with the page, so it is here at once.)
  const basemap = await getJSON(tileJSONURL('basemap')).then((tj) => ({ bbox: tj.bounds, tiled: true })).catch(() => null);
  const cols = await colsReady;
  app.collections = (cols.collections || []).filter((c) => c.kind !== 'basemap');
  // The server's current data version, when it says (for the embed dialog).
  if (!app.dataVersion && Number.isInteger(cols.data_version)) app.dataVersion = cols.data_version;
  // Large layers are drawn from tiles, not downloaded whole.
  const layerData = await Promise.all(app.collections.map((c) => (isTiled(c) ? { features: [] } : getJSON(layerURL(c.id)))));
  mark(app, 'data');
  indexLayers(layerData);

  const known = new Set(app.collections.map((c) => c.id));
  app.state.layers = new Set(initial.layers ? initial.layers.filter((l) => known.has(l)) : known);
  app.state.date = initial.date || '';
  app.state.list = !!initial.list;
  $('date-input').value = app.state.date;
  $('date-clear').hidden = !app.state.date;

  // The map is made with its whole style, the layers included: the page
  // preloads their data, so it is here by now.
  let mapReady = null;
  if (gl) {
    try {
      mapReady = createMap(app, page, initial, ui, basemap);
    } catch (err) {
      console.warn('map failed, showing the list instead:', err);
    }
  }

  wireChrome();
  ui.renderLayerPanel();
  if (EMBED) {
    setChildren($('embed-foot'), embedFooter(app, FLAGS));
    sizeEmbedMap();
  }

  if (mapReady) {
    try {
      await mapReady;
      if (!initial.view && !initial.bbox) tightenToExtent(app.map, basemap);
      await populateMap(app, ui);
    } catch (err) {
      console.warn('map failed, showing the list instead:', err);
      app.map?.remove();
      app.map = null;
      if (EMBED) await pictureMode();
      else ui.listMode('The interactive map could not start in this browser, so the features are shown as a list.');
    }
  } else if (EMBED) {
    // An embed without WebGL shows the server's picture of the same view.
    await pictureMode();
  } else {
    ui.listMode('This browser cannot draw the interactive map (WebGL 2 is unavailable), so the features are shown as a list.');
  }

  if (app.state.list && !EMBED) ui.openList(false);
  if (initial.feature && await ensureFeature(app, initial.feature)) {
    await ui.selectFeature(initial.feature, { fly: !initial.view && !initial.bbox, focus: false });
  }
  ui.writeHash();
  if (!EMBED) window.addEventListener('hashchange', ui.onHashChange);
  markReady();
  if (EMBED) postHeights(app);
  await signIn?.restore();
}

/** app.features and app.byLayer from each collection's GeoJSON. */
function indexLayers(layerData) {
  app.features.clear();
  app.byLayer.clear();
  app.collections.forEach((c, i) => {
    const feats = indexLayer(c, layerData[i]);
    app.byLayer.set(c.id, feats);
    for (const f of feats) app.features.set(f.key, f);
  });
}

/**
 * The editor's reloadLayers: after a publish, the collections and every
 * layer again from the server, into the map, the panel, the counts and the
 * list; the open feature is shown again (or closed, if it is gone).
 */
async function reloadLayers() {
  const fresh = { cache: 'no-cache' };
  const cols = await getJSON(collectionsURL(), fresh);
  const collections = (cols.collections || []).filter((c) => c.kind !== 'basemap');
  const layerData = await Promise.all(collections.map((c) => (isTiled(c) ? { features: [] } : getJSON(layerURL(c.id), fresh))));
  const before = new Set(app.collections.map((c) => c.id));
  const now = new Set(collections.map((c) => c.id));
  app.collections = collections;
  if (!getDataVersion() && Number.isInteger(cols.data_version)) app.dataVersion = cols.data_version;
  indexLayers(layerData);
  for (const id of now) if (!before.has(id)) app.state.layers.add(id);
  for (const id of [...app.state.layers]) if (!now.has(id)) app.state.layers.delete(id);
  forgetEvidence();
  if (app.map) updateMapData(app);
  ui.renderLayerPanel();
  ui.applyLayers();
  ui.applyDate();
  const key = app.state.feature;
  if (key && await ensureFeature(app, key)) await ui.selectFeature(key, { fly: false, focus: false });
  else if (key) ui.closePanel();
  ui.writeHash();
}

/** The editor's openFeature: false when the map has no such feature. */
async function openFeature(layer, id) {
  const key = `${layer}/${id}`;
  if (!await ensureFeature(app, key)) return false;
  await ui.selectFeature(key, { fly: true });
  return true;
}

/** The embed's map keeps the height the frame first had, less the footer. */
function sizeEmbedMap() {
  const foot = $('embed-foot');
  const hgt = Math.max(200, Math.floor(window.innerHeight - (foot.hidden ? 0 : foot.offsetHeight)));
  $('map').style.height = `${hgt}px`;
  app.map?.resize();
}

async function pictureMode() {
  app.mode = 'picture';
  const { layers, feature, date } = ui.currentHashState();
  const view = FLAGS.view;
  const box = $('map');
  box.replaceChildren();
  box.classList.add('picture');
  const img = staticPicture(app, { layers, view, bbox: view ? null : FLAGS.bbox, feature, date }, box.clientWidth, box.clientHeight);
  box.appendChild(img);
  await img.decode().catch(() => {});
}

function markReady() {
  app.ready = true;
  if (EMBED) document.documentElement.dataset.embed = app.embed.static ? 'static' : 'interactive';
  app.firstRenderMs = app.firstRenderMs ?? Math.round(performance.now());
  document.documentElement.dataset.ready = '1';
  document.documentElement.dataset.mode = app.mode;
  ready();
  window.dispatchEvent(new CustomEvent('citemap:ready', { detail: { mode: app.mode, firstRenderMs: app.firstRenderMs } }));
}

function setStatus(msg) {
  $('status').textContent = msg;
  $('status').classList.toggle('show', !!msg);
}

function wireChrome() {
  wireSearch(app, ui);

  $('date-input').addEventListener('change', (e) => ui.setDate(e.target.value));
  $('date-clear').addEventListener('click', () => ui.setDate(''));

  const layersPanel = $('layers-panel');
  const setLayersOpen = (open) => {
    layersPanel.classList.toggle('collapsed', !open);
    $('btn-layers').setAttribute('aria-expanded', String(open));
  };
  setLayersOpen(!page.mobile.matches);
  $('btn-layers').addEventListener('click', () => setLayersOpen(layersPanel.classList.contains('collapsed')));
  $('layers-close').addEventListener('click', () => setLayersOpen(false));

  $('btn-list').addEventListener('click', () => (app.state.list ? ui.closeList() : ui.openList()));
  $('list-link').addEventListener('click', (e) => { e.preventDefault(); ui.openList(); });
  document.querySelector('.skip').addEventListener('click', (e) => { e.preventDefault(); ui.openList(); });
  $('list-close').addEventListener('click', ui.closeList);
  $('list').addEventListener('keydown', ui.onListKey);
  $('feature-close').addEventListener('click', ui.closePanel);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('feature-panel').hidden && document.activeElement !== $('search-input') && !$('embed-dialog').open && !$('signin-dialog').open) ui.closePanel();
  });
  if (!EMBED) {
    wireEmbedDialog(app);
    $('btn-embed').addEventListener('click', () => openEmbedDialog(app, ui.currentHashState()));
    // A static export has no server to sign in to: the site is read-only.
    if (isStatic()) $('account').hidden = true;
    else {
      signIn = wireSignIn(app, {
        whenReady,
        onFeaturePanel: ui.onFeaturePanel,
        openFeature,
        reloadLayers,
        status: setStatus,
      });
    }
  }
}
