// citemap's browser map. Everything comes from this server: the layers
// (/layers/{id}.geojson), the evidence (/collections/{layer}/items/{id},
// /passages, /sources), MapLibre's worker and the fonts (/assets/).
import * as maplibregl from 'maplibre-gl';
import { formatHash, formatQuery, parseHash, parseQuery } from './hash.js';
import { basemapExtent, basemapLabels, indexLayer, loadEvidence, standsAt, toMapData } from './data.js';
import { addImages, basemapLabelLayer, basemapLayers, baseStyle, countryAreaLabelLayers, dataLayers, featureFrame, kindOf, legendSymbol, placeLabelLayers, selectionLayers } from './mapstyle.js';
import { basisBadge, claimNote, explicitFirst, quote, relationBadge, renderFeature, sourceLine } from './panel.js';
import { dayNumber, fold, formatPeriod, getDataVersion, getJSON, h, localHref, setChildren, setDataVersion, versioned } from './util.js';
import { applyMapTheme, embedFooter, postHeights, renderEmbedInfo, staticPicture } from './embed.js';
import { openEmbedDialog, wireEmbedDialog } from './embed-dialog.js';

const $ = (id) => document.getElementById(id);
const DEFAULT_BOUNDS = [[37, 37], [71, 46.5]];
const MOBILE = window.matchMedia('(max-width: 700px)');
// Basemap extent (Natural Earth clipped to 26–76°E, 34–50°N) until the
// served basemap says otherwise: the default view stays inside it.
const BASEMAP_EXTENT = [26, 34, 76, 50];

// /embed: the map without site chrome (the server adds this meta tag and has
// already checked the flags in the query).
const EMBED = document.querySelector('meta[name="citemap:mode"]')?.getAttribute('content') === 'embed';
const FLAGS = parseQuery(location.search);
setDataVersion(FLAGS.v);
if (EMBED) {
  document.documentElement.classList.add('embed');
  const dark = FLAGS.theme === 'dark' || (FLAGS.theme === 'auto' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

const app = {
  collections: [],          // [{id, title, kind, ...}] in server order
  features: new Map(),      // key → feature (see data.indexLayer)
  byLayer: new Map(),       // layer id → [feature]
  styleLayers: [],          // [{id, layer, filter, interactive}]
  map: null,
  mode: 'map',              // 'map' | 'list' (no WebGL) | 'picture' (embed without WebGL)
  embed: EMBED ? FLAGS : null, // the embed's render flags
  dataVersion: FLAGS.v || 0,   // the pinned data version, when known
  state: { layers: new Set(), feature: null, date: '', list: false },
  ready: false,
  marks: {},               // timings (ms since navigation start)
};
const mark = (name) => { app.marks[name] = Math.round(performance.now()); };
window.citemap = app; // for tests and the curious

boot().catch((err) => {
  console.warn(err);
  setStatus(`The map could not load: ${err.message}`);
});

/**
 * The starting state: the query's flags (/embed, or a query permalink on /),
 * then, on the full map, the hash's parts over them.
 */
function initialState() {
  const fromQuery = { view: FLAGS.view, bbox: FLAGS.bbox, layers: FLAGS.layers, feature: FLAGS.feature, date: FLAGS.date };
  if (EMBED) return fromQuery;
  const fromHash = parseHash(location.hash);
  const out = { ...fromQuery };
  for (const [k, v] of Object.entries(fromHash)) if (v !== undefined) out[k] = v;
  if (fromHash.view) delete out.bbox;
  return out;
}

async function boot() {
  const initial = initialState();
  if (!EMBED && location.search) {
    // The query has been read; the hash carries the state from now on. A
    // pinned version stays in the query (the server and the app read it).
    history.replaceState(history.state, '', location.pathname + (FLAGS.v ? `?v=${FLAGS.v}` : '') + location.hash);
  }
  if (EMBED) {
    setChildren($('embed-foot'), embedFooter(app, FLAGS));
    $('embed-foot').hidden = false;
    sizeEmbedMap();
  }
  // The map (style, worker) starts while the data downloads.
  let mapReady = null;
  if (webgl2Available()) {
    try {
      mapReady = createMap(initial);
    } catch (err) {
      console.warn('map failed, showing the list instead:', err);
    }
  }
  const [cols, basemap] = await Promise.all([
    getJSON(versioned('/collections?f=json')),
    getJSON(versioned('/layers/basemap.geojson')).catch(() => ({ type: 'FeatureCollection', features: [] })),
  ]);
  app.collections = (cols.collections || []).filter((c) => c.kind !== 'basemap');
  // The server's current data version, when it says (for the embed dialog).
  if (!app.dataVersion && Number.isInteger(cols.data_version)) app.dataVersion = cols.data_version;
  const layerData = await Promise.all(app.collections.map((c) => getJSON(versioned(`/layers/${encodeURIComponent(c.id)}.geojson`))));
  mark('data');
  app.collections.forEach((c, i) => {
    const feats = indexLayer(c, layerData[i]);
    app.byLayer.set(c.id, feats);
    for (const f of feats) app.features.set(f.key, f);
  });

  const known = new Set(app.collections.map((c) => c.id));
  app.state.layers = new Set(initial.layers ? initial.layers.filter((l) => known.has(l)) : known);
  app.state.date = initial.date || '';
  app.state.list = !!initial.list;
  $('date-input').value = app.state.date;
  $('date-clear').hidden = !app.state.date;

  wireChrome();
  renderLayerPanel();
  if (EMBED) {
    setChildren($('embed-foot'), embedFooter(app, FLAGS));
    sizeEmbedMap();
  }

  if (mapReady) {
    try {
      await mapReady;
      if (!initial.view && !initial.bbox) tightenToExtent(basemap);
      await populateMap(basemap);
    } catch (err) {
      console.warn('map failed, showing the list instead:', err);
      app.map?.remove();
      app.map = null;
      if (EMBED) await pictureMode();
      else listMode('The interactive map could not start in this browser, so the features are shown as a list.');
    }
  } else if (EMBED) {
    // An embed without WebGL shows the server's picture of the same view.
    await pictureMode();
  } else {
    listMode('This browser cannot draw the interactive map (WebGL 2 is unavailable), so the features are shown as a list.');
  }

  if (app.state.list && !EMBED) openList(false);
  if (initial.feature && app.features.has(initial.feature)) {
    await selectFeature(initial.feature, { fly: !initial.view && !initial.bbox, focus: false });
  }
  writeHash();
  if (!EMBED) window.addEventListener('hashchange', onHashChange);
  markReady();
  if (EMBED) postHeights(app);
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
  const { layers, feature, date } = currentHashState();
  const view = FLAGS.view;
  const box = $('map');
  box.replaceChildren();
  box.classList.add('picture');
  const img = staticPicture(app, { layers, view, bbox: view ? null : FLAGS.bbox, feature, date }, box.clientWidth, box.clientHeight);
  box.appendChild(img);
  await img.decode().catch(() => {});
}

/**
 * The default view stays inside the basemap: the grey outside it is not
 * sea, and a wide screen would show it above 50°N and below 34°N. The max
 * bounds are set only to let MapLibre clamp the camera, then lifted.
 */
function tightenToExtent(basemap) {
  const map = app.map;
  if (!map) return;
  const [a, b, c, d] = Array.isArray(basemap?.bbox) && basemap.bbox.length === 4 ? basemap.bbox : BASEMAP_EXTENT;
  if (c - a >= 350) return; // a world basemap: nothing outside it to avoid
  map.setMaxBounds([[a, b], [c, d]]);
  map.setMaxBounds(null);
}

function markReady() {
  app.ready = true;
  if (EMBED) document.documentElement.dataset.embed = app.embed.static ? 'static' : 'interactive';
  app.firstRenderMs = app.firstRenderMs ?? Math.round(performance.now());
  document.documentElement.dataset.ready = '1';
  document.documentElement.dataset.mode = app.mode;
  window.dispatchEvent(new CustomEvent('citemap:ready', { detail: { mode: app.mode, firstRenderMs: app.firstRenderMs } }));
}

function setStatus(msg) {
  $('status').textContent = msg;
  $('status').classList.toggle('show', !!msg);
}

// ---------------------------------------------------------------- the map

function webgl2Available() {
  try {
    const c = document.createElement('canvas');
    return !!(window.WebGL2RenderingContext && c.getContext('webgl2'));
  } catch {
    return false;
  }
}

/** Creates the map; resolves when its style has loaded. */
function createMap(initial) {
  maplibregl.setWorkerUrl(new URL(__WORKER_URL__, location.href).href);
  const opts = {
    container: 'map',
    style: baseStyle(__FONTS__),
    attributionControl: false,
    minZoom: 2,
    maxZoom: 13,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    renderWorldCopies: false,
    fadeDuration: 0,
  };
  if (EMBED) {
    // In an article: one finger (or the wheel without Ctrl) scrolls the page.
    opts.cooperativeGestures = true;
    opts.interactive = !FLAGS.static;
  }
  if (initial.view) {
    opts.center = [initial.view.lon, initial.view.lat];
    opts.zoom = initial.view.zoom;
  } else if (initial.bbox) {
    const [a, b, c, d] = initial.bbox;
    opts.bounds = [[a, b], [c, d]];
    opts.fitBoundsOptions = { padding: EMBED ? 10 : defaultPadding() };
  } else if (MOBILE.matches && !EMBED) {
    // A phone is too narrow for the whole region: start on the South Caucasus.
    opts.center = [45.2, 41.2];
    opts.zoom = 4.9;
  } else {
    opts.bounds = DEFAULT_BOUNDS;
    opts.fitBoundsOptions = { padding: defaultPadding() };
  }
  const map = new maplibregl.Map(opts);
  app.map = map;
  const interactive = !(EMBED && FLAGS.static);
  if (interactive) {
    map.touchZoomRotate.disableRotation();
    map.keyboard.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  }
  if (!EMBED) map.addControl(new maplibregl.ScaleControl({ maxWidth: 100 }), 'bottom-left');
  map.addControl(new maplibregl.AttributionControl({
    compact: true,
    customAttribution: ['Made with Natural Earth', 'Points: GeoNames (CC BY 4.0)', 'MapLibre'],
  }), 'bottom-right');
  if (interactive) {
    map.on('click', onMapClick);
    map.on('mousemove', onMapHover);
  }
  map.on('moveend', () => writeHash());
  app.gesturesBlocked = 0;
  map.on('cooperativegestureprevented', () => { app.gesturesBlocked++; });

  return new Promise((resolve, reject) => {
    let loaded = false;
    map.on('error', (e) => {
      if (!loaded) reject(e.error || new Error('map error'));
      else console.warn('map:', e.error?.message || e);
    });
    map.once('load', () => {
      loaded = true;
      if (MOBILE.matches || EMBED) {
        // Fold the attribution behind its (i) button on a phone.
        const attrib = map.getContainer().querySelector('.maplibregl-ctrl-attrib');
        attrib?.classList.remove('maplibregl-compact-show');
        attrib?.removeAttribute('open');
      }
      mark('map-load');
      resolve();
    });
  });
}

/**
 * Adds the sources and layers; resolves when the map is idle (everything
 * drawn, labels included). firstRenderMs is the first frame drawn with every
 * geometry source loaded (labels may still be on their way).
 */
function populateMap(basemap) {
  const map = app.map;
  addImages(map);
  addLayers(map, basemap);
  mark('layers-added');
  const geometrySources = ['basemap', ...app.collections.map((c) => c.id)];
  return new Promise((resolve) => {
    const onRender = () => {
      if (geometrySources.every((id) => map.isSourceLoaded(id))) {
        app.firstRenderMs = Math.round(performance.now());
        map.off('render', onRender);
      }
    };
    map.on('render', onRender);
    map.once('idle', () => {
      mark('idle');
      if (app.firstRenderMs === undefined) app.firstRenderMs = app.marks.idle;
      map.off('render', onRender);
      resolve();
    });
  });
}

function defaultPadding() {
  if (MOBILE.matches || EMBED) return 10;
  return { top: 20, bottom: 20, right: 20, left: Math.min(340, window.innerWidth / 3) };
}

const STAGE = { fill: 0, outline: 1, 'outline-hist': 1, casing: 2, line: 3, 'line-hist': 3, point: 6, 'point-label': 8, 'line-label': 8, 'area-label': 8 };

function addLayers(map, basemap) {
  map.addSource('basemap-extent', { type: 'geojson', data: basemapExtent(basemap) });
  map.addSource('basemap', { type: 'geojson', data: basemap, tolerance: 0.5 });
  map.addSource('basemap-labels', { type: 'geojson', data: basemapLabels(basemap) });
  for (const l of basemapLayers()) map.addLayer(l);

  const all = [];
  for (const c of app.collections) {
    map.addSource(c.id, { type: 'geojson', data: toMapData(app.byLayer.get(c.id)), tolerance: 0.4 });
    for (const { layer, interactive } of dataLayers(c.id, c.kind)) {
      all.push({ layer, interactive, stage: STAGE[layer.id.split(':')[1]] ?? 5 });
    }
  }
  map.addSource('selection', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  const [selFill, selLine, selPoint] = selectionLayers();
  all.push({ layer: selFill, stage: 0.5 }, { layer: selLine, stage: 4 }, { layer: selPoint, stage: 7 });
  all.push({ layer: basemapLabelLayer(), stage: 7.5 });
  for (const l of countryAreaLabelLayers()) all.push({ layer: l, stage: 7.5 });
  for (const l of placeLabelLayers()) all.push({ layer: l, stage: 7.4 });
  all.sort((a, b) => a.stage - b.stage); // stable: keeps layer order within a stage

  for (const { layer, interactive } of all) {
    map.addLayer(layer);
    const owner = layer.metadata?.['citemap:layer'];
    if (owner) app.styleLayers.push({ id: layer.id, layer: owner, filter: layer.filter, interactive });
  }
  applyLayers();
  applyDate();
  if (EMBED && document.documentElement.dataset.theme === 'dark') applyMapTheme(map, 'dark');
}

function dateFilter() {
  const day = dayNumber(app.state.date);
  return day === null ? null : ['all', ['<=', ['get', '_from'], day], ['>=', ['get', '_to'], day]];
}

function onMapClick(e) {
  const f = featureAt(e.point);
  if (f) selectFeature(f.key, { fly: false });
}

function onMapHover(e) {
  app.map.getCanvasContainer().classList.toggle('hovering', !!featureAt(e.point));
}

const GEOM_RANK = { Point: 0, MultiPoint: 0, LineString: 1, MultiLineString: 1, Polygon: 2, MultiPolygon: 2 };

/** The feature under a screen point: points before lines before areas, smaller areas first. */
function featureAt(point) {
  const map = app.map;
  const layers = app.styleLayers.filter((s) => s.interactive && app.state.layers.has(s.layer)).map((s) => s.id);
  if (!layers.length) return null;
  const r = 6;
  const hits = map.queryRenderedFeatures([[point.x - r, point.y - r], [point.x + r, point.y + r]], { layers });
  let best = null;
  let bestScore = Infinity;
  for (const hit of hits) {
    const f = app.features.get(hit.properties?._key);
    if (!f) continue;
    const [a, b, c, d] = f.bbox;
    const score = (GEOM_RANK[f.geometry.type] ?? 3) * 1e6 + Math.min((c - a) * (d - b), 1e6 - 1);
    if (score < bestScore) { bestScore = score; best = f; }
  }
  return best;
}

// --------------------------------------------------------- layers and date

function visibleFeatures(layerId) {
  if (!app.state.layers.has(layerId)) return [];
  const day = dayNumber(app.state.date);
  return (app.byLayer.get(layerId) || []).filter((f) => standsAt(f, day));
}
app.visibleFeatures = visibleFeatures;

function applyLayers() {
  if (EMBED && app.ready) setChildren($('embed-foot'), embedFooter(app, FLAGS));
  if (app.map) {
    for (const s of app.styleLayers) {
      app.map.setLayoutProperty(s.id, 'visibility', app.state.layers.has(s.layer) ? 'visible' : 'none');
    }
  }
  updateCounts();
  if (app.state.list || app.mode === 'list') renderList();
}

function applyDate() {
  if (app.map) {
    const df = dateFilter();
    for (const s of app.styleLayers) {
      app.map.setFilter(s.id, df ? ['all', s.filter, df] : s.filter);
    }
  }
  const note = $('asof-note');
  note.hidden = !app.state.date;
  note.textContent = app.state.date ? `Showing what stood on ${app.state.date} (features without dates are always shown).` : '';
  updateCounts();
  if (app.state.list || app.mode === 'list') renderList();
}

function renderLayerPanel() {
  const ul = $('layer-list');
  setChildren(ul, app.collections.map((c) => {
    const id = `layer-toggle-${c.id}`;
    return h('li', { class: `layer-item${c.kind === 'context' ? ' layer-context' : ''}`, dataset: { layer: c.id } },
      h('div', { class: 'layer-row' },
        h('input', { type: 'checkbox', id, checked: app.state.layers.has(c.id), dataset: { layer: c.id },
          onchange: (e) => toggleLayer(c.id, e.target.checked) }),
        h('label', { for: id },
          legendSymbol(c.kind),
          h('span', { class: 'layer-name' }, c.title || c.id)),
        h('span', { class: 'count', id: `count-${c.id}`, 'aria-live': 'polite' }, '')),
      h('p', { class: 'layer-meta small' },
        h('span', { class: 'muted' }, c.kind === 'context' ? contextLabel(c) : kindOf(c.kind).label),
        h('span', { class: 'downloads' },
          ' · ',
          h('a', { href: `/layers/${encodeURIComponent(c.id)}.geojson`, download: '', 'aria-label': `Download ${c.title || c.id} as GeoJSON` }, 'GeoJSON'),
          ' ',
          h('a', { href: `/layers/${encodeURIComponent(c.id)}.gpkg`, download: '', 'aria-label': `Download ${c.title || c.id} as GeoPackage` }, 'GPKG'),
          ' ',
          h('a', { href: `/layers/${encodeURIComponent(c.id)}.csv`, download: '', 'aria-label': `Download ${c.title || c.id} as CSV` }, 'CSV'))));
  }));
  updateCounts();
}

/** "context for Military bases, not cited": what a context layer is. */
function contextLabel(c) {
  const parent = app.collections.find((x) => x.id === c.context_of);
  return `context for ${parent?.title || c.context_of || 'another layer'}, not cited`;
}

function updateCounts() {
  for (const c of app.collections) {
    const el = $(`count-${c.id}`);
    if (!el) continue;
    const total = (app.byLayer.get(c.id) || []).length;
    const day = dayNumber(app.state.date);
    const shown = (app.byLayer.get(c.id) || []).filter((f) => standsAt(f, day)).length;
    el.textContent = shown === total ? String(total) : `${shown} of ${total}`;
    el.setAttribute('title', `${shown} of ${total} features${app.state.date ? ' on ' + app.state.date : ''}`);
  }
}

function toggleLayer(id, on) {
  if (on) app.state.layers.add(id); else app.state.layers.delete(id);
  const box = $(`layer-toggle-${id}`);
  if (box) box.checked = on;
  applyLayers();
  writeHash();
}
app.toggleLayer = toggleLayer;

function setDate(value) {
  app.state.date = dayNumber(value) === null ? '' : value;
  $('date-input').value = app.state.date;
  $('date-clear').hidden = !app.state.date;
  applyDate();
  writeHash();
}

// ------------------------------------------------------------- selection

let selectSeq = 0;

/** Opens a feature: highlights it, shows its panel, optionally flies to it. */
async function selectFeature(key, { fly = true, focus = true } = {}) {
  const f = app.features.get(key);
  if (!f) return;
  const seq = ++selectSeq;
  app.state.feature = key;
  // A hidden layer is shown when one of its features is chosen.
  if (!app.state.layers.has(f.layer)) toggleLayer(f.layer, true);
  const col = app.collections.find((c) => c.id === f.layer);
  const brief = EMBED && FLAGS.sources !== 'panel';
  if (brief) showInfo(f, col);
  else showPanel(f, null, col); // first: on a phone the map shrinks above the sheet
  if (app.map) {
    app.map.getSource('selection')?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: f.geometry, properties: {} }] });
    if (fly) flyTo(f);
  }
  markListSelection();
  writeHash();
  if (brief) return;
  try {
    const item = await getJSON(versioned(`/collections/${encodeURIComponent(f.layer)}/items/${encodeURIComponent(f.id)}?f=json`));
    if (seq !== selectSeq) return;
    showPanel(f, item, col);
    if (focus) $('feature-panel').focus({ preventScroll: true });
  } catch (err) {
    if (seq !== selectSeq) return;
    setChildren($('feature-body'), h('p', { class: 'notice' }, `The evidence could not be loaded: ${err.message}`));
  }
}
app.selectFeature = selectFeature;

/** sources=count|none in an embed: a line under the map, no passages. */
function showInfo(f, col) {
  const info = $('embed-info');
  setChildren(info, renderEmbedInfo(f, col, FLAGS.sources, fullMapURL({ feature: f.key }), closePanel));
  info.hidden = false;
  info.dataset.feature = f.key;
}

function showPanel(f, item, col) {
  const panel = $('feature-panel');
  $('feature-title').textContent = f.props.name || f.id;
  setChildren($('feature-body'), renderFeature(f, item, col?.title || f.layer));
  if (EMBED) {
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
    if (!EMBED) app.map?.resize();
  }
  if (item) panel.scrollTop = 0;
}

function closePanel() {
  selectSeq++;
  app.state.feature = null;
  $('feature-panel').hidden = true;
  if (EMBED) $('embed-info').hidden = true;
  document.body.classList.remove('feature-open');
  if (!EMBED) app.map?.resize();
  app.map?.getSource('selection')?.setData({ type: 'FeatureCollection', features: [] });
  markListSelection();
  writeHash();
}

function flyTo(f) {
  // The feature with its neighbourhood: towns and borders around it, and
  // never closer than its geo_precision justifies.
  app.map.fitBounds(featureFrame(f.bbox, f.props.geo_precision), { padding: panelPadding(), maxZoom: 11, duration: 800 });
}

function panelPadding() {
  const map = app.map;
  const w = map.getContainer().clientWidth;
  if (EMBED) return { top: 30, left: 30, right: 30, bottom: 30 }; // the panel is below the map
  if (MOBILE.matches) return { top: 30, left: 30, right: 30, bottom: 30 }; // the map ends above the sheet
  return { top: 40, bottom: 40, left: Math.min(340, w / 3), right: Math.min(440, w / 3) };
}

// ------------------------------------------------------------- permalink

let lastHash = '';

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
  const q = formatQuery({ layers: s.layers, view: s.view, bbox: s.view ? null : FLAGS.bbox, feature: s.feature, date: s.date, v: getDataVersion(), ...over });
  return `${location.origin}/${q ? '?' + q : ''}`;
}
app.fullMapURL = fullMapURL;

function writeHash() {
  if (!app.collections.length) return;
  if (EMBED) {
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
  const known = new Set(app.collections.map((c) => c.id));
  if (s.layers) {
    app.state.layers = new Set(s.layers.filter((l) => known.has(l)));
    for (const c of app.collections) { const b = $(`layer-toggle-${c.id}`); if (b) b.checked = app.state.layers.has(c.id); }
    applyLayers();
  }
  if (s.date !== undefined || app.state.date) setDate(s.date || '');
  if (s.view && app.map) app.map.jumpTo({ center: [s.view.lon, s.view.lat], zoom: s.view.zoom });
  if (s.feature && app.features.has(s.feature)) selectFeature(s.feature, { fly: !s.view });
  else if (!s.feature && app.state.feature) closePanel();
  writeHash();
}

// ------------------------------------------------------------- list view

function listMode(message) {
  app.mode = 'list';
  document.body.classList.add('no-map');
  $('map').hidden = true;
  const note = $('list-note');
  note.textContent = message;
  note.hidden = false;
  $('list-close').hidden = true;
  $('btn-list').hidden = true;
  openList(false);
}

function openList(focus = true) {
  app.state.list = true;
  $('list').hidden = false;
  document.body.classList.add('list-open');
  $('btn-list').setAttribute('aria-pressed', 'true');
  renderList();
  writeHash();
  if (focus) $('list').focus();
}

function closeList() {
  if (app.mode === 'list') return;
  app.state.list = false;
  $('list').hidden = true;
  document.body.classList.remove('list-open');
  $('btn-list').setAttribute('aria-pressed', 'false');
  writeHash();
}

let listSeq = 0;

async function renderList() {
  const seq = ++listSeq;
  const body = $('list-body');
  let ev = null;
  try {
    ev = await loadEvidence();
  } catch (err) {
    console.warn(err);
  }
  if (seq !== listSeq) return;
  const sections = [];
  let total = 0;
  for (const c of app.collections) {
    if (!app.state.layers.has(c.id)) continue;
    const feats = visibleFeatures(c.id);
    total += feats.length;
    sections.push(h('section', { class: 'list-layer', 'aria-labelledby': `list-h-${c.id}` },
      h('h3', { id: `list-h-${c.id}` }, legendSymbol(c.kind), `${c.title || c.id} `, h('span', { class: 'count' }, `(${feats.length})`)),
      feats.length ? h('ul', { class: 'list-features' }, feats.map((f) => listItem(f, ev))) : h('p', { class: 'muted' }, 'Nothing in this layer at this date.')));
  }
  if (!sections.length) sections.push(h('p', { class: 'muted' }, 'No layer is switched on. Switch layers on in the layer panel.'));
  setChildren(body, h('p', { class: 'small muted', id: 'list-summary' }, `${total} feature${total === 1 ? '' : 's'}${app.state.date ? ' on ' + app.state.date : ''}.`), sections);
  body.dataset.count = String(total);
  markListSelection();
}

function listItem(f, ev) {
  const evidence = explicitFirst(ev?.byFeature.get(f.key) || [], (x) => x.claim.basis);
  const inferred = evidence.filter((x) => x.claim.basis === 'inferred').length;
  const period = formatPeriod(f.props.valid_from, f.props.valid_to);
  return h('li', { class: 'list-feature', dataset: { key: f.key } },
    h('article', { 'aria-labelledby': `li-${cssId(f.key)}` },
      h('h4', null, h('button', { type: 'button', class: 'feature-btn', id: `li-${cssId(f.key)}`, dataset: { key: f.key },
        onclick: () => selectFeature(f.key, { fly: true, focus: app.mode === 'list' || MOBILE.matches }) }, f.props.name || f.id)),
      h('p', { class: 'small' },
        f.hist ? h('span', { class: 'badge badge-hist' }, 'historical') : null,
        f.kind === 'context' ? h('span', { class: 'badge badge-context' }, 'context, not cited') : null,
        f.props.status ? h('span', null, f.props.status) : null,
        period ? h('span', { class: 'muted' }, ` · ${period}`) : null),
      evidence.length ? h('details', { class: 'list-evidence' },
        h('summary', null, `${evidence.length} passage${evidence.length === 1 ? '' : 's'}${inferred ? ` (${inferred} inferred)` : ''}`),
        h('ul', null, evidence.map(({ passage, claim }) => {
          const src = ev.sources.get(passage.source);
          return h('li', { class: `claim${claim.basis === 'inferred' ? ' claim-inferred' : ''}`, dataset: { passage: passage.id, relation: claim.relation || '', basis: claim.basis || '' } },
            h('p', { class: 'claim-head' }, relationBadge(claim.relation), basisBadge(claim.basis), h('span', { class: 'aspect' }, claim.aspect || '')),
            quote(passage),
            h('p', { class: 'cite small' },
              h('cite', null, src?.label || passage.source),
              sourceLine(src) ? h('span', { class: 'muted' }, ' — ' + sourceLine(src)) : null,
              ' · ',
              h('a', { href: `/sources/${encodeURIComponent(passage.source)}#passage-${encodeURIComponent(passage.id)}` }, 'Read in context')),
            claim.basis === 'inferred' ? claimNote(claim.basis, claim.note) : null);
        }))) : null));
}

function cssId(key) {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}

function markListSelection() {
  for (const li of document.querySelectorAll('.list-feature')) {
    const on = li.dataset.key === app.state.feature;
    li.classList.toggle('selected', on);
    li.querySelector('.feature-btn')?.setAttribute('aria-current', on ? 'true' : 'false');
  }
}

function onListKey(e) {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
  const btns = [...document.querySelectorAll('#list-body .feature-btn')];
  if (!btns.length) return;
  const i = btns.indexOf(document.activeElement);
  let j;
  if (e.key === 'Home') j = 0;
  else if (e.key === 'End') j = btns.length - 1;
  else if (i < 0) j = 0;
  else j = Math.max(0, Math.min(btns.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)));
  e.preventDefault();
  btns[j].focus();
  btns[j].scrollIntoView({ block: 'nearest' });
}

// ------------------------------------------------------------------ search

let searchResults = [];
let searchActive = -1;

function runSearch(q) {
  const needle = fold(q);
  const list = $('search-results');
  const input = $('search-input');
  if (needle.length < 2) {
    searchResults = [];
    renderResults();
    return;
  }
  const feats = [];
  for (const f of app.features.values()) {
    let rank = Infinity;
    f.names.forEach((n, i) => {
      const at = n.indexOf(needle);
      if (at < 0) return;
      const r = (i === 0 ? 0 : 10) + (at === 0 ? 0 : 5);
      if (r < rank) rank = r;
    });
    if (rank < Infinity) feats.push({ type: 'feature', f, rank });
  }
  feats.sort((a, b) => a.rank - b.rank || String(a.f.props.name).localeCompare(String(b.f.props.name)));
  const results = feats.slice(0, 10);

  // Passage text: loaded on first use, then the search runs again.
  loadEvidence().then((ev) => {
    if (fold(input.value) !== needle) return;
    const pas = [];
    for (const p of ev.passages) {
      const at = p.folded.indexOf(needle);
      if (at < 0) continue;
      for (const fe of p.features || []) {
        const f = app.features.get(`${fe.layer}/${fe.feature}`);
        if (f) pas.push({ type: 'passage', f, p, at });
      }
      if (pas.length >= 8) break;
    }
    searchResults = results.concat(pas.slice(0, 8));
    renderResults(needle);
  }).catch(() => {});
  searchResults = results;
  renderResults(needle);
  list.dataset.query = needle;
}

function renderResults(needle = '') {
  const list = $('search-results');
  const input = $('search-input');
  searchActive = -1;
  input.removeAttribute('aria-activedescendant');
  if (!searchResults.length) {
    setChildren(list, needle ? h('li', { class: 'muted empty', role: 'option', 'aria-disabled': 'true' }, 'No match') : null);
    list.hidden = !needle;
    input.setAttribute('aria-expanded', String(!!needle));
    return;
  }
  setChildren(list, searchResults.map((r, i) => {
    const col = app.collections.find((c) => c.id === r.f.layer);
    const li = h('li', { role: 'option', id: `sr-${i}`, class: `result result-${r.type}`, dataset: { key: r.f.key }, 'aria-selected': 'false',
      onmousedown: (e) => { e.preventDefault(); chooseResult(i); } },
    r.type === 'feature'
      ? [h('span', { class: 'r-name' }, r.f.props.name), h('span', { class: 'r-meta muted small' }, matchedAlias(r.f, needle), col?.title || r.f.layer)]
      : [h('span', { class: 'r-quote' }, snippet(r.p.exact, r.at, needle.length)), h('span', { class: 'r-meta muted small' }, `passage ${r.p.id} → ${r.f.props.name}`)]);
    return li;
  }));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}

function matchedAlias(f, needle) {
  if (!needle || f.names[0].includes(needle)) return '';
  const i = f.names.findIndex((n) => n.includes(needle));
  const raw = [f.props.name, ...Object.entries(f.props).filter(([k, v]) => k.startsWith('name_') && v).map(([, v]) => v),
    ...String(f.props.aliases || '').split(';').map((s) => s.trim()).filter(Boolean)];
  return i > 0 && raw[i] ? `“${raw[i]}” · ` : '';
}

function snippet(text, at, len) {
  const start = Math.max(0, at - 40);
  const end = Math.min(text.length, at + len + 60);
  return (start > 0 ? '…' : '') + text.slice(start, end) + (end < text.length ? '…' : '');
}

function moveActive(delta) {
  const items = [...$('search-results').querySelectorAll('.result')];
  if (!items.length) return;
  searchActive = (searchActive + delta + items.length) % items.length;
  items.forEach((el, i) => el.setAttribute('aria-selected', String(i === searchActive)));
  $('search-input').setAttribute('aria-activedescendant', items[searchActive].id);
  items[searchActive].scrollIntoView({ block: 'nearest' });
}

function chooseResult(i) {
  const r = searchResults[i];
  if (!r) return;
  closeResults();
  $('search-input').blur();
  if (app.state.date && !standsAt(r.f, dayNumber(app.state.date))) setDate('');
  selectFeature(r.f.key, { fly: true });
}

function closeResults() {
  $('search-results').hidden = true;
  $('search-input').setAttribute('aria-expanded', 'false');
  $('search-input').removeAttribute('aria-activedescendant');
}

// ------------------------------------------------------------------ chrome

function wireChrome() {
  const input = $('search-input');
  input.addEventListener('input', () => runSearch(input.value));
  input.addEventListener('focus', () => { loadEvidence().catch(() => {}); if (input.value) runSearch(input.value); });
  input.addEventListener('blur', () => closeResults());
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); moveActive(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); moveActive(-1); }
    else if (e.key === 'Enter') { e.preventDefault(); chooseResult(searchActive >= 0 ? searchActive : 0); }
    else if (e.key === 'Escape') { closeResults(); }
  });

  $('date-input').addEventListener('change', (e) => setDate(e.target.value));
  $('date-clear').addEventListener('click', () => setDate(''));

  const layersPanel = $('layers-panel');
  const setLayersOpen = (open) => {
    layersPanel.classList.toggle('collapsed', !open);
    $('btn-layers').setAttribute('aria-expanded', String(open));
  };
  setLayersOpen(!MOBILE.matches);
  $('btn-layers').addEventListener('click', () => setLayersOpen(layersPanel.classList.contains('collapsed')));
  $('layers-close').addEventListener('click', () => setLayersOpen(false));

  $('btn-list').addEventListener('click', () => (app.state.list ? closeList() : openList()));
  $('list-link').addEventListener('click', (e) => { e.preventDefault(); openList(); });
  document.querySelector('.skip').addEventListener('click', (e) => { e.preventDefault(); openList(); });
  $('list-close').addEventListener('click', closeList);
  $('list').addEventListener('keydown', onListKey);
  $('feature-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('feature-panel').hidden && document.activeElement !== input && !$('embed-dialog').open) closePanel();
  });
  if (!EMBED) {
    wireEmbedDialog(app);
    $('btn-embed').addEventListener('click', () => openEmbedDialog(app, currentHashState()));
  }
}
