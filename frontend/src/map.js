// The MapLibre map: creating it with its whole style (the basemap and the
// data layers in drawing order), what lies under a click, and framing a
// feature.
import * as maplibregl from 'maplibre-gl';
import { basemapExtent, toMapData } from './data.js';
import { addImages, basemapLabelLayers, basemapLayers, baseStyle, dataLayers, dimensionNeeds, featureFrame, geometryNeeds, namedPlaceFilter, namedPlaceLayer, selectionLayers, sharedPrograms } from './mapstyle.js';
import { applyMapTheme } from './embed.js';
import { basemapFromTiles, isTiled, layerFromTiles, tiledKey, vectorSource } from './tiles.js';
import { assetURL, isStatic, registerTileProtocol } from './urls.js';
import { todayNumber } from './util.js';

const DEFAULT_BOUNDS = [[37, 37], [71, 46.5]];
// Basemap extent (Natural Earth clipped to 26–76°E, 34–50°N) until the
// served basemap says otherwise: the default view stays inside it.
const BASEMAP_EXTENT = [26, 34, 76, 50];

/** Records a timing (ms since navigation start) in app.marks. */
export function mark(app, name) {
  app.marks[name] = Math.round(performance.now());
  performance.mark?.(`citemap:${name}`); // for profiles (DevTools, tracing)
}

/**
 * Starts MapLibre's worker now, while the page still waits for its data:
 * left to the map, the worker's script (half a megabyte) was fetched and
 * compiled only once the map was created, and the basemap's tiles waited
 * for it.
 */
export function startWorkers() {
  maplibregl.setWorkerUrl(assetURL(__WORKER_URL__));
  maplibregl.prewarm();
}

/**
 * Whether the browser has WebGL 2 at all. A browser that has it but cannot
 * make a context (blocked GPU, --disable-webgl) is found by createMap, whose
 * map then throws: a context made here only to ask would cost a second one,
 * tens of milliseconds of the main thread and the GPU process each on
 * software GL, before the map's own.
 */
export function webgl2Available() {
  return typeof window.WebGL2RenderingContext === 'function';
}

/**
 * Creates the map (app.map) with its whole style: the basemap, every
 * layer's sources and style layers, the selection; resolves when the style
 * has loaded. The layers' data must be in (app.collections, app.byLayer,
 * app.state.layers): the page preloads it with the HTML, so it is there by
 * the time the app runs.
 * ui: selectFeature (a click on a feature), writeHash (after a move).
 * basemap: {bbox, tiled} from its TileJSON, or null (no basemap).
 *
 * One style, given whole, instead of a basemap style the layers are added
 * to once it has loaded: MapLibre then parses the style layers once in its
 * worker instead of twice, asks for every source's tiles in the same
 * frame, and takes validateStyle: false at its word (addLayer validates
 * whatever the map was told). The style is this code's own; the browser
 * test validates the live style against the style specification.
 * An export's tiles come out of PMTiles archives: their reader is
 * registered before the map is made.
 */
export function createMap(app, page, initial, ui, basemap = null) {
  maplibregl.setWorkerUrl(assetURL(__WORKER_URL__));
  if (isStatic()) return registerTileProtocol(maplibregl).then(() => makeMap(app, page, initial, ui, basemap));
  return makeMap(app, page, initial, ui, basemap);
}

function makeMap(app, page, initial, ui, basemap) {
  const { embed, flags, mobile } = page;
  const draft = new StyleDraft(baseStyle(__GLYPHS__));
  app.drawOrder = [];
  app.styleLayers = [];
  addLayers(app, draft, basemap);
  if (embed && document.documentElement.dataset.theme === 'dark') applyMapTheme(draft, 'dark');
  app.geometrySources = ['basemap', ...dataSourceIds(app)];
  mark(app, 'layers-added');
  const opts = {
    container: 'map',
    style: draft.style,
    validateStyle: false,
    attributionControl: false,
    minZoom: 2,
    maxZoom: 13,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    renderWorldCopies: false,
    fadeDuration: 0,
  };
  if (embed) {
    // In an article: one finger (or the wheel without Ctrl) scrolls the page.
    opts.cooperativeGestures = true;
    opts.interactive = !flags.static;
  }
  if (initial.view) {
    opts.center = [initial.view.lon, initial.view.lat];
    opts.zoom = initial.view.zoom;
  } else if (initial.bbox) {
    const [a, b, c, d] = initial.bbox;
    opts.bounds = [[a, b], [c, d]];
    opts.fitBoundsOptions = { padding: embed ? 10 : defaultPadding(page) };
  } else if (mobile.matches && !embed) {
    // A phone is too narrow for the whole region: start on the South Caucasus.
    opts.center = [45.2, 41.2];
    opts.zoom = 4.9;
  } else {
    opts.bounds = DEFAULT_BOUNDS;
    opts.fitBoundsOptions = { padding: defaultPadding(page) };
  }
  const map = new maplibregl.Map(opts);
  app.map = map;
  // Icons and patterns are drawn on a canvas, before a tile asks for them.
  addImages(map);
  map.on('styleimagemissing', () => addImages(map));
  // Nothing is painted until the basemap and every layer are in (see holdPainting).
  let painting = false;
  holdPainting(map, () => app.geometrySources.every((id) => map.isSourceLoaded(id)), () => { painting = true; });
  app.mapIdle = watchFirstFrames(app, map, () => painting);
  const interactive = !(embed && flags.static);
  if (interactive) {
    map.touchZoomRotate.disableRotation();
    map.keyboard.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  }
  if (!embed) map.addControl(new maplibregl.ScaleControl({ maxWidth: 100 }), 'bottom-left');
  map.addControl(new maplibregl.AttributionControl({
    compact: true,
    customAttribution: ['Made with Natural Earth', 'Points: GeoNames (CC BY 4.0)', 'MapLibre'],
  }), 'bottom-right');
  if (interactive) {
    map.on('click', (e) => {
      const f = featureAt(app, e.point);
      if (f) ui.selectFeature(f.key, { fly: false });
    });
    map.on('mousemove', (e) => {
      map.getCanvasContainer().classList.toggle('hovering', !!featureAt(app, e.point));
    });
  }
  map.on('moveend', () => ui.writeHash());
  app.gesturesBlocked = 0;
  map.on('cooperativegestureprevented', () => { app.gesturesBlocked++; });

  const styleLoaded = new Promise((resolve, reject) => {
    let loaded = false;
    map.on('error', (e) => {
      if (!loaded) reject(e.error || new Error('map error'));
      else console.warn('map:', e.error?.message || e);
    });
    map.once('style.load', () => {
      skipSky(map);
      loaded = true;
      mark(app, 'style-load');
      resolve();
    });
  });
  map.once('load', () => {
    if (mobile.matches || embed) {
      // Fold the attribution behind its (i) button on a phone.
      const attrib = map.getContainer().querySelector('.maplibregl-ctrl-attrib');
      attrib?.classList.remove('maplibregl-compact-show');
      attrib?.removeAttribute('open');
    }
    mark(app, 'map-load');
  });
  return styleLoaded;
}

/**
 * Stops MapLibre drawing the sky, which this map never shows (it cannot be
 * pitched, so no horizon is in view) and whose style sets none. MapLibre
 * 6.17 still draws its default, transparent sky over the whole canvas in
 * every frame, with a shader program of its own: on software GL each frame
 * took 15-19 % longer with it (133 against 116 ms, and 156 against 131 in a
 * second run; medians of 30 repaints and pans) and the first frame had one
 * more program to link. There is no public switch: the style's sky reports
 * no values, so the painter skips it.
 */
function skipSky(map) {
  if (typeof map.style?.sky?.getEvaluated === 'function') map.style.sky.getEvaluated = () => undefined;
}

/**
 * A style being written before the map exists: the part of the map's API
 * that addLayers, insertLayer and applyMapTheme use, on a style document.
 */
class StyleDraft {
  constructor(style) {
    this.style = style;
  }

  addSource(id, source) {
    if (this.style.sources[id]) throw new Error(`source ${id} is already in the style`);
    this.style.sources[id] = source;
  }

  getSource(id) {
    return this.style.sources[id];
  }

  getLayer(id) {
    return this.style.layers.find((l) => l.id === id);
  }

  /** Adds layer below beforeId, or on top, as map.addLayer does. */
  addLayer(layer, beforeId) {
    if (this.getLayer(layer.id)) throw new Error(`layer ${layer.id} is already in the style`);
    const at = beforeId === undefined ? -1 : this.style.layers.findIndex((l) => l.id === beforeId);
    if (beforeId !== undefined && at < 0) throw new Error(`no layer ${beforeId} to add ${layer.id} below`);
    if (at < 0) this.style.layers.push(layer);
    else this.style.layers.splice(at, 0, layer);
  }

  setPaintProperty(id, name, value) {
    const layer = this.getLayer(id);
    layer.paint = { ...layer.paint, [name]: value };
  }
}

/**
 * The default view stays inside the basemap: the grey outside it is not
 * sea, and a wide screen would show it above 50°N and below 34°N. The max
 * bounds are set only to let MapLibre clamp the camera, then lifted.
 */
export function tightenToExtent(map, basemap) {
  if (!map) return;
  const [a, b, c, d] = Array.isArray(basemap?.bbox) && basemap.bbox.length === 4 ? basemap.bbox : BASEMAP_EXTENT;
  if (c - a >= 350) return; // a world basemap: nothing outside it to avoid
  map.setMaxBounds([[a, b], [c, d]]);
  map.setMaxBounds(null);
}

/**
 * Applies the page's layer and date state (a shared link may hide layers or
 * set a date; the style as written shows every layer at every date);
 * resolves when the map is idle (everything drawn, labels included).
 * ui: applyLayers and applyDate.
 */
export function populateMap(app, ui) {
  ui.applyLayers();
  ui.applyDate();
  return app.mapIdle;
}

/**
 * Resolves when the map is first idle. firstRenderMs is the first frame
 * painted (painting(), see holdPainting) with every geometry source
 * loaded. Watched from the map's creation, so no frame goes unseen.
 *
 * app.firstFrameShown resolves at the animation frame after that one, and
 * marks it 'first-frame-shown': the browser begins the next frame only once
 * the first is committed to its compositor, and with software GL the commit
 * reads the canvas back, waiting for the GPU process to finish drawing it.
 * The first frame (issued) is when MapLibre has drawn; this is when a reader
 * can see it.
 */
function watchFirstFrames(app, map, painting) {
  let shown;
  app.firstFrameShown = new Promise((resolve) => { shown = resolve; });
  let watching = true;
  const showNext = () => {
    if (!watching) return;
    watching = false;
    requestAnimationFrame(() => {
      mark(app, 'first-frame-shown');
      shown();
    });
  };
  return new Promise((resolve) => {
    const onRender = () => {
      if (painting() && app.geometrySources.every((id) => map.isSourceLoaded(id))) {
        mark(app, 'first-frame');
        app.firstRenderMs = app.marks['first-frame'];
        map.off('render', onRender);
        showNext();
      }
    };
    map.on('render', onRender);
    map.once('idle', () => {
      mark(app, 'idle');
      if (app.firstRenderMs === undefined) app.firstRenderMs = app.marks.idle;
      map.off('render', onRender);
      showNext();
      resolve();
    });
  });
}

/** The longest the first frame waits for the rest of the data (a slow tile on a slow network). */
const HOLD_MAX_MS = 5000;

/**
 * Draws no frame until complete() holds and the labels are placed (or
 * HOLD_MAX_MS has passed; painting() is called when frames are drawn): while
 * the sources load, MapLibre would draw a frame for every tile and layer
 * that arrives. With software WebGL (no GPU; CI, many virtual machines)
 * each such frame costs the whole map's drawing plus a read-back of the
 * canvas, and those frames delayed the first complete one by seconds. The
 * map keeps loading, placing labels and firing its events meanwhile; only
 * the painting waits. MapLibre has no public switch for this, so its
 * painter's render is wrapped for the first frames only, then restored.
 */
function holdPainting(map, complete, painting) {
  const painter = map.painter;
  const render = painter?.render;
  if (typeof render !== 'function') { // a MapLibre without it: draw as it comes
    painting();
    return;
  }
  let release = null;
  const restore = () => {
    if (painter.render !== held) return;
    painter.render = render;
    clearTimeout(release);
    painting();
    map.triggerRepaint();
  };
  const held = function (...args) {
    // Labels placed in this frame from tiles that arrived in it are placed
    // again in the next one (MapLibre marks that placement stale): painted
    // now, this frame would be followed by a second full one, which on
    // software GL waits for the first's drawing, and the map's idle with it.
    if (!complete() || map._placementDirty) return undefined;
    painter.render = render;
    clearTimeout(release);
    painting();
    return render.apply(this, args);
  };
  painter.render = held;
  release = setTimeout(restore, HOLD_MAX_MS);
}

function defaultPadding({ embed, mobile }) {
  if (mobile.matches || embed) return 10;
  return { top: 20, bottom: 20, right: 20, left: Math.min(340, window.innerWidth / 3) };
}

const STAGE = { fill: 0, outline: 1, 'outline-hist': 1, casing: 2, line: 3, 'line-hist': 3, point: 6, 'point-label': 8, 'line-label': 8, 'area-label': 8 };

/**
 * The one GeoJSON source of every layer held whole. Each source has its own
 * worker pass, tile set and clipping per frame: with a source per layer
 * (eleven with the bundled data) that work was repeated for every layer
 * before the first frame. Features carry their layer id (_layer), which
 * the layers' style layers filter on.
 */
export const HELD_SOURCE = 'citemap:held';

/** The map's data sources: the held layers' one source, then each tiled layer's. */
function dataSourceIds(app) {
  const tiled = app.collections.filter(isTiled).map((c) => c.id);
  return app.collections.some((c) => !isTiled(c)) ? [HELD_SOURCE, ...tiled] : tiled;
}

/** The GeoJSON of every layer held whole, in the collections' order. */
function heldData(app) {
  const features = [];
  for (const c of app.collections) {
    if (!isTiled(c)) features.push(...toMapData(app.byLayer.get(c.id) || []).features);
  }
  return { type: 'FeatureCollection', features };
}

/** A tiled layer's source (the held layers share theirs, added once); style: the map or a StyleDraft. */
function addDataSource(style, app, c) {
  if (isTiled(c)) style.addSource(c.id, vectorSource(c.id));
  else if (!style.getSource(HELD_SOURCE)) style.addSource(HELD_SOURCE, { type: 'geojson', data: heldData(app), tolerance: 0.4 });
}

/** A tiled layer's style layers, reading its tiles: those its geometry needs. */
function tiledLayersOf(c) {
  const today = todayNumber();
  return dataLayers(c.id, c.kind, dimensionNeeds(c.geometryDimension)).map(({ layer, interactive }) => ({ layer: layerFromTiles(layer, c.kind, today), interactive }));
}

// Paint properties MapLibre evaluates per feature: where the held layers'
// style layers differ only in these, one style layer draws them all.
const PER_FEATURE = new Set(['fill-color', 'fill-opacity', 'fill-outline-color', 'fill-pattern', 'line-color', 'line-opacity',
  'circle-color', 'circle-stroke-color', 'text-color', 'text-halo-color', 'icon-image']);

/**
 * The style layers of every layer held whole, merged: the layers of one
 * role (fills, outlines, lines, points, labels, ...) drawn alike except for
 * their colours become one style layer, whose colours `match` on the
 * feature's _layer, and whose filter names the layers shown (applyMapState).
 * A style layer costs the worker a bucket per tile, the main thread its
 * validation and a draw call per tile and frame: the bundled data's 31
 * style layers are 18 merged.
 * Only what its layers' geometry needs is drawn (geometryNeeds).
 * → [{layer, interactive, layers: [collection id]}] in drawing order within a stage.
 */
function heldStyleLayers(app) {
  const groups = new Map();
  for (const c of app.collections) {
    if (isTiled(c)) continue;
    for (const { layer, interactive } of dataLayers(c.id, c.kind, geometryNeeds(app.byLayer.get(c.id) || []))) {
      const role = layer.id.slice(c.id.length + 1);
      const fixed = Object.entries(layer.paint || {}).map(([k, v]) => (PER_FEATURE.has(k) ? k : [k, v]));
      const layout = Object.entries(layer.layout || {}).map(([k, v]) => (PER_FEATURE.has(k) ? k : [k, v]));
      const key = JSON.stringify([role, layer.type, layer.minzoom, layer.maxzoom, layer.filter, layout, fixed, interactive]);
      if (!groups.has(key)) groups.set(key, { role, interactive, members: [] });
      groups.get(key).members.push({ id: c.id, layer });
    }
  }
  const perRole = new Map();
  return [...groups.values()].map(({ role, interactive, members }) => {
    const n = perRole.get(role) || 0;
    perRole.set(role, n + 1);
    const first = members[0].layer;
    const byLayer = (part) => {
      const out = { ...first[part] };
      for (const k of Object.keys(out)) {
        if (!PER_FEATURE.has(k)) continue;
        const values = members.map((m) => m.layer[part][k]);
        if (values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]))) continue;
        // ['match', _layer, [ids with this value], value, ..., fallback]
        const alike = new Map();
        members.forEach((m, i) => {
          const v = JSON.stringify(values[i]);
          if (!alike.has(v)) alike.set(v, { ids: [], value: values[i] });
          alike.get(v).ids.push(m.id);
        });
        out[k] = ['match', ['get', '_layer'], ...[...alike.values()].flatMap(({ ids, value }) => [ids, value]), values[0]];
      }
      return out;
    };
    const layer = { ...first, id: `${n ? `citemap-held-${n + 1}` : 'citemap-held'}:${role}`, source: HELD_SOURCE, metadata: { 'citemap:layers': members.map((m) => m.id) } };
    if (first.paint) layer.paint = byLayer('paint');
    if (first.layout) layer.layout = byLayer('layout');
    return { layer, interactive, layers: members.map((m) => m.id) };
  });
}

/**
 * Shows what app.state asks: a tiled layer's style layers by their
 * visibility, the held layers' merged ones by a filter on _layer (hidden
 * when none of their layers is shown); both and-ed with the as-of date
 * filter (dateFilter: null for none). Sets only what changes: MapLibre
 * lays a source out again for every set.
 */
export function applyMapState(app, dateFilter) {
  const map = app.map;
  if (!map) return;
  for (const s of app.styleLayers) {
    const shown = s.layers.filter((l) => app.state.layers.has(l));
    let filter = s.held && shown.length ? ['all', shownFilter(shown), s.filter] : s.filter;
    if (dateFilter) filter = ['all', filter, dateFilter];
    const want = shown.length ? 'visible' : 'none';
    if ((map.getLayoutProperty(s.id, 'visibility') ?? 'visible') !== want) map.setLayoutProperty(s.id, 'visibility', want);
    if (want === 'visible' && JSON.stringify(filter) !== JSON.stringify(map.getFilter(s.id) ?? null)) map.setFilter(s.id, filter);
  }
}

const shownFilter = (ids) => ['in', ['get', '_layer'], ['literal', ids]];

function stageOf(layer) {
  return STAGE[layer.id.split(':')[1]] ?? 5;
}

/**
 * After the layers were loaded again (a publish): the held layers' source
 * gets its new data and their merged style layers are made anew (a layer
 * may be new, hold a new geometry, or have crossed the tiling threshold);
 * a tiled layer fetches its tiles again, a newly tiled one gets its source
 * and style layers. A tiled layer that is gone stays, hidden: the caller
 * takes it out of app.state.layers and applies visibility and date.
 */
export function updateMapData(app) {
  const map = app.map;
  const drop = (gone) => {
    for (const s of app.styleLayers) if (gone(s)) map.removeLayer(s.id);
    app.styleLayers = app.styleLayers.filter((s) => !gone(s));
    app.drawOrder = app.drawOrder.filter((d) => map.getLayer(d.id));
  };
  drop((s) => s.held);
  for (const c of app.collections) {
    const source = map.getSource(c.id);
    if (isTiled(c)) {
      const mine = (s) => !s.held && s.layers[0] === c.id;
      const want = tiledLayersOf(c);
      if (source) {
        source.setTiles(vectorSource(c.id).tiles);
        // Its geometry may have changed (a line published into a layer of
        // areas): then its style layers are made anew.
        const have = app.styleLayers.filter(mine).map((s) => s.id).sort();
        if (JSON.stringify(have) === JSON.stringify(want.map((w) => w.layer.id).sort())) continue;
        drop(mine);
      } else {
        addDataSource(map, app, c);
      }
      for (const { layer, interactive } of want) insertLayer(app, layer, stageOf(layer), interactive, [c.id]);
      continue;
    }
    if (source) {
      // Below the tiling threshold now: held whole from here on.
      drop((s) => s.layers[0] === c.id);
      map.removeSource(c.id);
    }
  }
  const held = map.getSource(HELD_SOURCE);
  if (held) held.setData(heldData(app));
  else if (app.collections.some((c) => !isTiled(c))) addDataSource(map, app, app.collections.find((c) => !isTiled(c)));
  for (const { layer, interactive, layers } of heldStyleLayers(app)) {
    insertLayer(app, { ...layer, filter: ['all', shownFilter(layers), layer.filter] }, stageOf(layer), interactive, layers);
  }
  app.geometrySources = ['basemap', ...dataSourceIds(app)];
}

/**
 * Adds a style layer to style (the map, or a StyleDraft before it exists)
 * at its stage of the drawing order (above the layers of its stage). A data
 * layer's (layers: the ids of the cited layers it draws)
 * goes into app.styleLayers: {id, layers, filter (its own, without the
 * shown layers' and the date's), interactive, held (merged, see
 * heldStyleLayers)}.
 */
function insertLayer(app, layer, stage, interactive, layers = null, style = app.map) {
  let at = app.drawOrder.findIndex((d) => d.stage > stage);
  if (at < 0) at = app.drawOrder.length;
  style.addLayer(sharedPrograms(layer), app.drawOrder[at]?.id);
  app.drawOrder.splice(at, 0, { id: layer.id, stage });
  if (!layers) return;
  const held = layer.source === HELD_SOURCE;
  // A held style layer's own filter is the third member of ['all', shown, own].
  app.styleLayers.push({ id: layer.id, layers, filter: held ? layer.filter[2] : layer.filter, interactive: !!interactive, held });
}

/**
 * The basemap's style layers in drawing order with their stage (null: below
 * every data layer): land and borders at the bottom, the labels among the
 * data layers' (towns under the features' names, the focused feature's
 * towns above them).
 */
function basemapStyleLayers() {
  return [
    ...basemapLayers().map((layer) => ({ layer, stage: null })),
    ...basemapLabelLayers().map((layer) => ({ layer, stage: 7.5 })),
    { layer: namedPlaceLayer(), stage: 8.5 },
  ];
}

/**
 * Writes the basemap, every layer's source and style layers and the
 * selection into style (a StyleDraft, before the map exists), in drawing
 * order, filling app.drawOrder and app.styleLayers.
 */
function addLayers(app, style, basemap) {
  // The basemap comes as vector tiles (areas, lines, towns, and a layer of
  // country label points); without one (a database with no basemap) its
  // style layers read an empty source.
  const tiled = !!basemap?.tiled;
  style.addSource('basemap-extent', { type: 'geojson', data: basemapExtent(basemap || {}) });
  const empty = () => ({ type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  if (tiled) {
    style.addSource('basemap', vectorSource('basemap'));
  } else {
    style.addSource('basemap', empty());
    style.addSource('basemap-labels', empty());
  }
  const fromBasemap = (l) => (tiled ? basemapFromTiles(l) : l);
  for (const { layer, stage } of basemapStyleLayers()) {
    if (stage === null) style.addLayer(sharedPrograms(fromBasemap(layer)));
    else insertLayer(app, fromBasemap(layer), stage, false, null, style);
  }

  const all = [];
  for (const c of app.collections) {
    addDataSource(style, app, c);
    if (!isTiled(c)) continue;
    for (const { layer, interactive } of tiledLayersOf(c)) all.push({ layer, interactive, stage: stageOf(layer), layers: [c.id] });
  }
  // The held layers' merged style layers start filtered to the layers shown
  // (applyMapState then finds nothing to change).
  for (const { layer, interactive, layers } of heldStyleLayers(app)) {
    const shown = layers.filter((l) => app.state.layers.has(l));
    all.push({ layer: { ...layer, filter: ['all', shownFilter(shown.length ? shown : layers), layer.filter] }, interactive, stage: stageOf(layer), layers });
  }
  style.addSource('selection', empty());
  const [selFill, selLine, selPoint] = selectionLayers();
  all.push({ layer: selFill, stage: 0.5 }, { layer: selLine, stage: 4 }, { layer: selPoint, stage: 7 });
  all.sort((a, b) => a.stage - b.stage); // stable: keeps layer order within a stage
  for (const { layer, interactive, stage, layers } of all) insertLayer(app, layer, stage, interactive, layers, style);
}

const GEOM_RANK = { Point: 0, MultiPoint: 0, LineString: 1, MultiLineString: 1, Polygon: 2, MultiPolygon: 2 };

/** The feature under a screen point: points before lines before areas, smaller areas first. */
export function featureAt(app, point) {
  const map = app.map;
  const layers = app.styleLayers.filter((s) => s.interactive && s.layers.some((l) => app.state.layers.has(l))).map((s) => s.id);
  if (!layers.length) return null;
  const r = 6;
  const hits = map.queryRenderedFeatures([[point.x - r, point.y - r], [point.x + r, point.y + r]], { layers });
  let best = null;
  let bestScore = Infinity;
  for (const hit of hits) {
    // A feature of a tiled layer is known by the id its tile carries; the
    // panel fetches it by id (selection.js).
    const f = app.features.get(hit.properties?._key) ?? (tiledKey(hit) && { key: tiledKey(hit), geometry: hit.geometry, bbox: null });
    if (!f) continue;
    const [a, b, c, d] = f.bbox || [0, 0, 0, 0];
    const score = (GEOM_RANK[f.geometry.type] ?? 3) * 1e6 + Math.min((c - a) * (d - b), 1e6 - 1);
    if (score < bestScore) { bestScore = score; best = f; }
  }
  return best;
}

/**
 * Frames a feature with its neighbourhood: towns and borders around it, and
 * never closer than its geo_precision justifies.
 */
export function flyTo(map, page, f) {
  // A line's name stands beside it, where the towns it is named by are:
  // those towns are labelled first. (An area's or a point's name sits on
  // its own label point, often that very town: no change there.)
  // On a phone map the sheet covers most of the map: the strip left names
  // the line itself, which ties it to the sheet below.
  const line = /LineString$/.test(f.geometry?.type || '');
  const strip = page.mobile?.matches && !page.embed;
  if (map.getLayer('place-named')) map.setFilter('place-named', namedPlaceFilter(line && !strip ? f.props : {}));
  map.fitBounds(featureFrame(f.bbox, f.props.geo_precision), { padding: panelPadding(map, page), maxZoom: 11, duration: 800 });
}

function panelPadding(map, { embed, mobile }) {
  const w = map.getContainer().clientWidth;
  if (embed) return { top: 30, left: 30, right: 30, bottom: 30 }; // the panel is below the map
  if (mobile.matches) return { top: 30, left: 30, right: 30, bottom: 30 }; // the map ends above the sheet
  return { top: 40, bottom: 40, left: Math.min(340, w / 3), right: Math.min(440, w / 3) };
}
