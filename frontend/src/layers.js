// The layer panel and the as-of date: which layers show, what stood on a
// day, the counts beside each layer and its downloads.
import { standsAt } from './data.js';
import { embedFooter } from './embed.js';
import { applyMapState } from './map.js';
import { kindOf, legendSymbol } from './mapstyle.js';
import { isTiled } from './tiles.js';
import { downloadURL } from './urls.js';
import { dayNumber, h, setChildren } from './util.js';

const $ = (id) => document.getElementById(id);

/**
 * The layer panel's and the date's actions on app.state.layers and
 * app.state.date. ui: renderList (when the list is open), writeHash.
 */
export function createLayers(app, page, ui) {
  function visibleFeatures(layerId) {
    if (!app.state.layers.has(layerId)) return [];
    const day = dayNumber(app.state.date);
    return (app.byLayer.get(layerId) || []).filter((f) => standsAt(f, day));
  }

  function dateFilter() {
    const day = dayNumber(app.state.date);
    return day === null ? null : ['all', ['<=', ['get', '_from'], day], ['>=', ['get', '_to'], day]];
  }

  function applyLayers() {
    if (page.embed && app.ready) setChildren($('embed-foot'), embedFooter(app, page.flags));
    applyMapState(app, dateFilter());
    updateCounts();
    if (app.state.list || app.mode === 'list') ui.renderList();
  }

  function applyDate() {
    applyMapState(app, dateFilter());
    const note = $('asof-note');
    note.hidden = !app.state.date;
    note.textContent = app.state.date ? `Showing what stood on ${app.state.date} (features without dates are always shown).` : '';
    updateCounts();
    if (app.state.list || app.mode === 'list') ui.renderList();
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
            h('a', { href: downloadURL(c.id, 'geojson'), download: '', 'aria-label': `Download ${c.title || c.id} as GeoJSON` }, 'GeoJSON'),
            ' ',
            h('a', { href: downloadURL(c.id, 'gpkg'), download: '', 'aria-label': `Download ${c.title || c.id} as GeoPackage` }, 'GPKG'),
            ' ',
            h('a', { href: downloadURL(c.id, 'csv'), download: '', 'aria-label': `Download ${c.title || c.id} as CSV` }, 'CSV'))));
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
      const day = dayNumber(app.state.date);
      // A tiled layer is not held here: its count is the server's, undated.
      const total = isTiled(c) ? c.itemCount : (app.byLayer.get(c.id) || []).length;
      const shown = isTiled(c) ? total : (app.byLayer.get(c.id) || []).filter((f) => standsAt(f, day)).length;
      el.textContent = shown === total ? String(total) : `${shown} of ${total}`;
      el.setAttribute('title', `${shown} of ${total} features${app.state.date ? ' on ' + app.state.date : ''}`);
    }
  }

  function toggleLayer(id, on) {
    if (on) app.state.layers.add(id); else app.state.layers.delete(id);
    const box = $(`layer-toggle-${id}`);
    if (box) box.checked = on;
    applyLayers();
    ui.writeHash();
  }

  /** Shows only the listed layers (a permalink's layers=). */
  function setLayers(ids) {
    const known = new Set(app.collections.map((c) => c.id));
    app.state.layers = new Set(ids.filter((l) => known.has(l)));
    for (const c of app.collections) { const b = $(`layer-toggle-${c.id}`); if (b) b.checked = app.state.layers.has(c.id); }
    applyLayers();
  }

  function setDate(value) {
    app.state.date = dayNumber(value) === null ? '' : value;
    $('date-input').value = app.state.date;
    $('date-clear').hidden = !app.state.date;
    applyDate();
    ui.writeHash();
  }

  return { visibleFeatures, applyLayers, applyDate, renderLayerPanel, toggleLayer, setLayers, setDate };
}
