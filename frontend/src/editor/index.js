// The editor: loaded only after sign-in (a separate chunk readers never
// download). start(ctx) adds the editor's buttons to the toolbar and its
// panel to the page, and returns a function that removes all of it.
//
// ctx: {map, user: {name, role}, api, toolbar, onFeaturePanel, openFeature,
// reloadLayers} — see the reader's sign-in module.
import { h } from '../util.js';
import { changesView, diffLayer, isPending } from './changes.js';
import { drawTool, drawView } from './feature.js';
import { renderHistory } from './history.js';
import { selectionIn } from './reader.js';
import { openSource, sourceView } from './source.js';
import { dirtyTracker, splitList } from './ui.js';

/** The features the "Feature" combobox offers: drafts the user may see included. */
async function loadFeatures(ed) {
  const cols = await ed.call('/collections?f=json');
  ed.collections = (cols.collections || []).filter((c) => c.kind !== 'basemap');
  const pages = await Promise.all(ed.collections.map((c) => ed.call(`/collections/${encodeURIComponent(c.id)}/items?f=json&limit=10000`)
    .catch(() => ({ features: [] }))));
  const out = [];
  ed.collections.forEach((c, i) => {
    for (const f of pages[i].features || []) {
      const p = f.properties || {};
      out.push({
        key: `${c.id}/${f.id}`, layer: c.id, id: String(f.id), name: String(p.name || f.id),
        aliases: splitList(p.aliases), layerTitle: c.title || c.id, draft: !!f.draft,
      });
    }
  });
  out.sort((a, b) => a.name.localeCompare(b.name));
  ed.features = out;
}

export async function start(ctx) {
  const ed = { ctx, user: ctx.user, cleanup: [], features: [], collections: [], reader: null };
  ed.call = (path, { method = 'GET', json, type } = {}) => {
    const headers = { Accept: 'application/json' };
    const opts = { method, headers };
    if (json !== undefined) {
      opts.body = JSON.stringify(json);
      headers['Content-Type'] = type || 'application/json';
    }
    return ctx.api(path, opts);
  };
  ed.dirty = dirtyTracker();

  const status = h('p', { class: 'ed-status small', id: 'ed-status', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { class: 'ed-body' });
  const closeBtn = h('button', { type: 'button', class: 'close', 'aria-label': 'Close the editor panel' }, '×');
  const panel = h('aside', { id: 'editor-panel', class: 'panel editor-panel', 'aria-labelledby': 'editor-panel-title', hidden: true, tabindex: '-1' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'editor-panel-title' }, `Editor · ${ctx.user.name} (${ctx.user.role})`), closeBtn),
    status, body);
  (document.querySelector('main') || document.body).append(panel);

  ed.show = (...nodes) => {
    ed.draw?.cancel();
    body.replaceChildren(...nodes.flat());
    panel.hidden = false;
    document.body.classList.add('editor-open');
    panel.scrollTop = 0;
  };
  ed.hide = () => {
    ed.draw?.cancel();
    ed.diff.clear();
    panel.hidden = true;
    document.body.classList.remove('editor-open');
  };
  closeBtn.addEventListener('click', ed.hide);
  ed.setStatus = (text, signal) => {
    status.textContent = text;
    if (signal) panel.dataset.last = signal;
  };
  ed.draw = ctx.map ? drawTool(ctx.map) : null;
  ed.diff = diffLayer(ctx.map);
  ed.startDraw = (claim) => {
    if (!ed.draw) { ed.setStatus('Drawing needs the interactive map, which this browser cannot show.'); return; }
    ed.show(drawView(ed, claim));
  };
  /** After a write: the combobox, the reader's marks and the map's drafts catch up. */
  ed.afterWrite = async (signal, text) => {
    await Promise.all([loadFeatures(ed), ed.reader?.refresh?.()]);
    try {
      const cs = (await ed.call('/changesets')).changesets.find((c) => isPending(c) && c.author === ed.user.name);
      if (cs) ed.diff.show((await ed.call(`/changesets/${cs.id}`)).diff || [], { fit: false });
    } catch { /* the drafts overlay is a convenience */ }
    ed.setStatus(text, signal);
  };

  const btn = (label, onclick) => h('button', { type: 'button', class: 'toggle ed-tool', onclick }, label);
  const buttons = [
    btn('Add source', () => ed.show(sourceView(ed))),
    btn('Draw feature', () => {
      const sel = ed.reader && document.getElementById('ed-text') ? (selectionIn(document.getElementById('ed-text')) || ed.reader.lastSel) : null;
      ed.startDraw(sel ? { source: ed.reader.src.id, quote: sel } : null);
    }),
    btn('Changes', () => changesView(ed).catch((err) => ed.setStatus(`The changes could not be loaded: ${err.message}`))),
  ];
  ctx.toolbar.append(...buttons);

  const offPanel = ctx.onFeaturePanel?.((info) => renderHistory(ed, info));
  const onKey = (e) => {
    if (e.key === 'Escape' && ed.draw?.active()) { ed.draw.cancel(); ed.setStatus('Drawing cancelled.'); }
  };
  document.addEventListener('keydown', onKey);

  await loadFeatures(ed);

  // For tests and the curious, like window.citemap.
  window.citemapEditor = { openSource: (id) => openSource(ed, id), state: ed };

  return function stop() {
    document.removeEventListener('keydown', onKey);
    if (typeof offPanel === 'function') offPanel();
    for (const fn of ed.cleanup) fn();
    ed.draw?.stop();
    ed.diff.remove();
    ed.dirty.stop();
    for (const b of buttons) b.remove();
    for (const d of document.querySelectorAll('dialog.ed-dialog')) { if (d.open) d.close(); d.remove(); }
    for (const s of document.querySelectorAll('.ed-history')) s.remove();
    panel.remove();
    document.body.classList.remove('editor-open');
    delete window.citemapEditor;
  };
}
