// New features: drawn on the map with terra-draw (point, line, polygon) or
// placed at a suggestion's gazetteer point, then described in a form and
// written with OGC API Features Part 4 (POST /collections/{layer}/items),
// with the claim citing the passage that backs it.
import { TerraDraw, TerraDrawLineStringMode, TerraDrawPointMode, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { h } from '../util.js';
import { claimFields, savePassage } from './cite.js';
import { field, formDialog, messageArea, select } from './ui.js';

const DIM = { Point: 0, MultiPoint: 0, LineString: 1, MultiLineString: 1, Polygon: 2, MultiPolygon: 2 };
const SHAPES = [['point', 'Point'], ['linestring', 'Line'], ['polygon', 'Polygon']];
const INK = '#c2410c';

/**
 * The drawing tool: one TerraDraw on the map, started on first use.
 * start(shape, onDone) lets the editor draw one shape; onDone gets its
 * GeoJSON geometry.
 */
export function drawTool(map) {
  let draw = null;
  let done = null;
  // A click that places a vertex (or drags one) is the drawing's, not the
  // reader's: the map's own click handler, which opens the panel of the
  // feature under the pointer, must not see it. The press decides, since a
  // shape finishes on the release, before the click arrives.
  let swallow = false;
  const container = map.getContainer();
  const onDown = () => { swallow = !!draw && draw.getMode() !== 'static'; };
  const onClick = (e) => {
    if (!swallow) return;
    swallow = false;
    e.stopPropagation();
  };
  container.addEventListener('pointerdown', onDown, true);
  container.addEventListener('click', onClick, true);
  const ensure = () => {
    if (draw) return draw;
    const common = {};
    const editable = { feature: { draggable: true, coordinates: { draggable: true, midpoints: true, deletable: true } } };
    draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map }),
      modes: [
        new TerraDrawPointMode({ ...common, styles: { pointColor: INK, pointWidth: 7, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 } }),
        new TerraDrawLineStringMode({ ...common, styles: { lineStringColor: INK, lineStringWidth: 3, closingPointColor: INK } }),
        new TerraDrawPolygonMode({ ...common, styles: { fillColor: INK, fillOpacity: 0.2, outlineColor: INK, outlineWidth: 2, closingPointColor: INK } }),
        new TerraDrawSelectMode({
          flags: { point: { feature: { draggable: true } }, linestring: editable, polygon: editable },
          styles: { selectedPointColor: INK, selectedLineStringColor: INK, selectedPolygonColor: INK, selectedPolygonFillOpacity: 0.2, selectionPointColor: '#ffffff', selectionPointOutlineColor: INK, midPointColor: INK },
        }),
      ],
    });
    draw.start();
    draw.on('finish', (id) => {
      const f = draw.getSnapshotFeature(id);
      const cb = done;
      done = null;
      draw.setMode('static');
      if (f && cb) cb({ type: f.geometry.type, coordinates: f.geometry.coordinates });
    });
    return draw;
  };
  return {
    start(shape, onDone) {
      const d = ensure();
      d.clear();
      done = onDone;
      d.setMode(shape);
      map.getCanvas().focus();
    },
    /**
     * Puts an existing geometry on the map with its vertices draggable;
     * returns a function giving the geometry as it now stands, or null when
     * terra-draw cannot edit it (a multi-part geometry).
     */
    edit(geometry) {
      const mode = { Point: 'point', LineString: 'linestring', Polygon: 'polygon' }[geometry?.type];
      if (!mode) return null;
      const d = ensure();
      d.clear();
      done = null;
      const id = crypto.randomUUID();
      const bad = d.addFeatures([{ id, type: 'Feature', geometry, properties: { mode } }]).filter((v) => !v.valid);
      if (bad.length) return null;
      d.setMode('select');
      d.selectFeature(id);
      return () => {
        const f = d.getSnapshotFeature(id);
        return f ? { type: f.geometry.type, coordinates: f.geometry.coordinates } : null;
      };
    },
    /** Finishes a line or polygon being drawn (what Enter does on the map). */
    finish() {
      const canvas = map.getCanvas();
      for (const type of ['keydown', 'keyup']) canvas.dispatchEvent(new KeyboardEvent(type, { key: 'Enter', bubbles: true }));
    },
    cancel() {
      done = null;
      if (draw) { draw.clear(); draw.setMode('static'); }
    },
    clear() { if (draw) draw.clear(); },
    active: () => !!done,
    stop() {
      container.removeEventListener('pointerdown', onDown, true);
      container.removeEventListener('click', onClick, true);
      if (draw) { draw.stop(); draw = null; }
    },
  };
}

/** The draw bar: choose a shape, draw it, finish it. */
export function drawView(ed, claim = null) {
  const msg = messageArea();
  const bar = h('div', { class: 'ed-drawbar', role: 'group', 'aria-label': 'Shape to draw' });
  const finishBtn = h('button', { type: 'button', class: 'toggle', hidden: true, onclick: () => ed.draw.finish() }, 'Finish shape');
  for (const [mode, label] of SHAPES) {
    bar.append(h('button', {
      type: 'button', class: 'toggle', dataset: { shape: mode }, 'aria-pressed': 'false',
      onclick: (e) => {
        for (const b of bar.querySelectorAll('button[data-shape]')) b.setAttribute('aria-pressed', String(b === e.currentTarget));
        finishBtn.hidden = mode === 'point';
        msg.info(mode === 'point' ? 'Click the map where the feature is.' : `Click the map at each vertex; then press Enter or “Finish shape”.`);
        ed.draw.start(mode, (geometry) => openFeatureForm(ed, { geometry, claim }));
      },
    }, label));
  }
  bar.append(finishBtn);
  return [
    h('h2', { class: 'ed-title' }, 'Draw a feature'),
    claim ? h('p', { class: 'small' }, 'The feature will cite: ', h('q', null, claim.quote.exact)) : null,
    bar,
    msg.el,
    h('p', { class: 'small muted' }, 'Escape in the form discards the shape.'),
  ];
}

/** Layers a geometry may go to: same dimension, not the basemap. */
function layersFor(ed, geometry) {
  const dim = DIM[geometry.type];
  return ed.collections.filter((c) => c.kind !== 'basemap' && DIM[c.geometry_type] === dim);
}

const LAST_LAYER = 'citemap.editor.layer.';

/**
 * The layer a new feature goes to unless the editor picks another: the one
 * they last saved a feature of this dimension to, else the only layer that
 * fits (a context layer for an inferred claim, a cited one otherwise), else
 * none: the form asks rather than guess (a corridor is not a border).
 */
function defaultLayer(ed, choices, geometry, claim) {
  let last = null;
  try { last = localStorage.getItem(LAST_LAYER + DIM[geometry.type]); } catch { /* storage off */ }
  if (last && choices.some((c) => c.id === last)) return last;
  const fit = choices.filter((c) => (c.kind === 'context') === (claim?.basis === 'inferred'));
  return fit.length === 1 ? fit[0].id : '';
}

function rememberLayer(geometry, layer) {
  try { localStorage.setItem(LAST_LAYER + DIM[geometry.type], layer); } catch { /* storage off */ }
}

/**
 * The new feature's form, in a modal dialog: layer, name, aliases, status,
 * valid_from/valid_to, geo_precision, coord_source, and the claim.
 * opts: {geometry, props, claim: {quote, relation, aspect, basis, note, confidence}}.
 */
export function openFeatureForm(ed, { geometry, props = {}, claim = null }) {
  const choices = layersFor(ed, geometry);
  const preset = defaultLayer(ed, choices, geometry, claim);
  const layer = select('layer', [...(preset ? [] : [['', 'Choose a layer…']]), ...choices.map((c) => [c.id, c.title || c.id])], preset);
  layer.required = true;
  const input = (name, value = '', type = 'text') => h('input', { type, name, value: value ?? '' });
  const name = input('name', props.name);
  name.required = true;
  const aliases = input('aliases', props.aliases);
  const status = input('status', props.status);
  const from = input('valid_from', props.valid_from);
  const to = input('valid_to', props.valid_to);
  const precision = select('geo_precision', [['', '—'], ['exact', 'exact (the place itself)'], ['town', 'town (the nearest town)'], ['region', 'region (approximate)']], props.geo_precision || '');
  const coordSource = input('coord_source', props.coord_source);
  const cf = claim ? claimFields(claim) : null;
  const d = formDialog(ed, {
    kind: 'feature', title: 'New feature', saveLabel: 'Save feature',
    fields: [
      h('p', { class: 'small muted' }, `A ${geometry.type === 'Point' ? 'point' : geometry.type === 'LineString' ? 'line' : 'polygon'}`,
        geometry.type === 'Point' ? ` at ${geometry.coordinates[1].toFixed(5)}, ${geometry.coordinates[0].toFixed(5)}` : ` with ${countVertices(geometry)} vertices`, '.'),
      choices.length ? field('Layer', layer) : h('p', { class: 'ed-error' }, 'No layer takes this kind of geometry.'),
      field('Name', name),
      field('Aliases', aliases, 'Other names and spellings, separated by “;”'),
      field('Status', status, 'e.g. planned, under construction, active'),
      h('div', { class: 'ed-row' }, field('Valid from', from, 'YYYY, YYYY-MM or YYYY-MM-DD'), field('Valid to', to)),
      field('Location precision', precision),
      field('Coordinates from', coordSource, 'Where the coordinates come from (a gazetteer, a map, the article)'),
      cf ? h('fieldset', { class: 'ed-claim' }, h('legend', null, 'Citation'), h('blockquote', { class: 'passage' }, h('p', null, h('mark', null, claim.quote.exact))), cf.el)
        : h('p', { class: 'small ed-warn' }, 'No quote cites this feature yet: select its words in the source and use “Cite selection” before the changeset is published.'),
    ],
    // The drawn shape goes with the form.
    onClose: () => ed.draw?.clear(),
    async onSubmit({ msg, close }) {
      if (!layer.value) { msg.error(new Error('Choose the layer the feature belongs to.')); layer.focus(); return; }
      if (!name.value.trim()) { msg.error(new Error('A feature needs a name.')); name.focus(); return; }
      if (cf) {
        const bad = cf.invalid();
        if (bad) { msg.error(new Error(bad)); return; }
      }
      const claims = [];
      if (cf) {
        const p = await savePassage(ed, claim.source, claim.quote);
        claims.push(cf.claim(p.id));
      }
      const properties = { name: name.value.trim() };
      for (const [k, el] of [['aliases', aliases], ['status', status], ['valid_from', from], ['valid_to', to], ['geo_precision', precision], ['coord_source', coordSource]]) {
        if (el.value.trim()) properties[k] = el.value.trim();
      }
      properties.claims = claims;
      const out = await ed.call(`/collections/${encodeURIComponent(layer.value)}/items`, {
        method: 'POST', json: { type: 'Feature', geometry, properties }, type: 'application/geo+json',
      });
      rememberLayer(geometry, layer.value);
      close();
      await ed.afterWrite(`feature:${layer.value}/${out.id}`, `Saved “${properties.name}” as a draft in changeset ${out.changeset}.`);
    },
  });
  name.focus();
  return d.dlg;
}

function countVertices(g) {
  if (g.type === 'LineString') return g.coordinates.length;
  if (g.type === 'Polygon') return g.coordinates[0].length - 1;
  return 1;
}

/** Moving the vertices of an existing feature, then "Save geometry". */
export async function editGeometry(ed, layer, id) {
  const msg = messageArea();
  const root = h('section', { class: 'ed-geom', dataset: { key: `${layer}/${id}` } }, h('h2', { class: 'ed-title' }, 'Edit the geometry'), msg.el);
  ed.show(root);
  let item;
  try {
    item = await ed.call(`/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}?f=json`);
  } catch (err) {
    msg.error(err, 'The feature could not be loaded');
    return;
  }
  const name = item.properties?.name || id;
  root.querySelector('h2').textContent = `Edit the geometry of “${name}”`;
  const current = ed.draw?.edit(item.geometry);
  const save = h('button', { type: 'button', class: 'primary' }, 'Save geometry');
  const cancel = h('button', { type: 'button', class: 'toggle', onclick: () => ed.hide() }, 'Cancel');
  root.append(
    current ? h('p', { class: 'small' }, 'Drag the feature or its vertices; drag a midpoint to add a vertex; right-click a vertex to delete it.')
      : h('p', { class: 'ed-error' }, `A ${item.geometry?.type || 'missing'} geometry cannot be edited here: edit it in QGIS (OGC API Features Part 4).`),
    h('div', { class: 'ed-actions' }, current ? save : null, cancel));
  root.dataset.ready = '1';
  save.addEventListener('click', async () => {
    msg.clear();
    const geometry = current();
    if (!geometry) { msg.error(new Error('The shape was removed; cancel and start again.')); return; }
    save.disabled = true;
    try {
      const out = await ed.call(`/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}`, {
        method: 'PATCH', json: { geometry }, type: 'application/merge-patch+json',
      });
      ed.draw.cancel();
      save.hidden = true;
      msg.info('Saved as a draft.');
      await ed.afterWrite(`geometry:${layer}/${id}`, `Moved “${name}” (a draft in changeset ${out.changeset}).`);
    } catch (err) {
      msg.error(err, 'Not saved');
    } finally {
      save.disabled = false;
    }
  });
}
