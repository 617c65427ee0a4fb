// The list view: every visible feature with its passages, as text. It is
// the map's accessible equivalent and what a browser without WebGL shows.
import { indexLayer, loadEvidence, standsAt } from './data.js';
import { legendSymbol } from './mapstyle.js';
import { basisBadge, claimNote, explicitFirst, quote, relationBadge, sourceLine } from './panel.js';
import { isTiled } from './tiles.js';
import { firstItemsPageURL, itemsInBoxURL, sourcePageURL } from './urls.js';
import { dayNumber, formatPeriod, getJSON, h, setChildren } from './util.js';

/** A layer drawn from tiles lists this many of its features in view. */
const TILED_LIST_LIMIT = 100;

const $ = (id) => document.getElementById(id);

/** ui: visibleFeatures, selectFeature, writeHash. */
export function createList(app, page, ui) {
  let listSeq = 0; // the latest render; older evidence answers are dropped

  /** No map in this browser: the list stands in for it, for good. */
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
    ui.writeHash();
    if (focus) $('list').focus();
  }

  function closeList() {
    if (app.mode === 'list') return;
    app.state.list = false;
    $('list').hidden = true;
    document.body.classList.remove('list-open');
    $('btn-list').setAttribute('aria-pressed', 'false');
    ui.writeHash();
  }

  let followsMap = false; // the list is drawn again after the map moves (tiled layers list what is in view)

  /**
   * The features in view of a layer drawn from tiles (the app never holds
   * it whole): a page of the server's items in the map's bounds, kept in
   * app.features so that a click opens them. → {feats, matched} or null
   * when there is no server to ask (a static export).
   */
  async function tiledInView(c) {
    const b = app.map ? app.map.getBounds().toArray().flat() : [-180, -90, 180, 90];
    const bbox = [Math.max(-180, b[0]), Math.max(-90, b[1]), Math.min(180, b[2]), Math.min(90, b[3])];
    const url = itemsInBoxURL(c.id, bbox, TILED_LIST_LIMIT);
    if (!url) return wholeFromPages(c);
    const page = await getJSON(url);
    return { feats: known(c, page), matched: page.numberMatched ?? page.features?.length ?? 0 };
  }

  /**
   * An export cannot ask for a box, but a layer tiled for the weight of its
   * geometry (the country areas) may have few features: up to
   * TILED_LIST_LIMIT of them are read from its items pages (files, each
   * naming the next) and all listed, as for a layer held whole.
   * → {feats, matched, whole} or null.
   */
  async function wholeFromPages(c) {
    let url = firstItemsPageURL(c.id);
    if (!url || !(c.itemCount <= TILED_LIST_LIMIT)) return null;
    const features = [];
    while (url && features.length < TILED_LIST_LIMIT) {
      const page = await getJSON(url);
      features.push(...(page.features || []));
      url = (page.links || []).find((l) => l.rel === 'next')?.href;
    }
    if (url) return null; // more than it said
    return { feats: known(c, { type: 'FeatureCollection', features }), matched: features.length, whole: true };
  }

  /** The features of an items page, kept in app.features (a click opens them), as the as-of date shows them. */
  function known(c, page) {
    const feats = indexLayer(c, page);
    for (const f of feats) if (!app.features.has(f.key)) app.features.set(f.key, f);
    const day = dayNumber(app.state.date);
    return feats.map((f) => app.features.get(f.key)).filter((f) => standsAt(f, day));
  }

  async function renderList() {
    const seq = ++listSeq;
    const body = $('list-body');
    const shown = app.collections.filter((c) => app.state.layers.has(c.id));
    const tiled = new Map();
    let ev = null;
    try {
      [ev] = await Promise.all([
        loadEvidence(),
        ...shown.filter(isTiled).map((c) => tiledInView(c).then((r) => tiled.set(c.id, r), (err) => {
          console.warn(err);
          tiled.set(c.id, null);
        })),
      ]);
    } catch (err) {
      console.warn(err);
    }
    if (seq !== listSeq) return;
    if (tiled.size && app.map && !followsMap) {
      followsMap = true;
      app.map.on('moveend', () => { if (app.state.list) renderList(); });
    }
    const sections = [];
    let total = 0;
    for (const c of shown) {
      const t = isTiled(c) ? tiled.get(c.id) : undefined;
      const feats = t ? t.feats : ui.visibleFeatures(c.id);
      total += feats.length;
      const count = t && !t.whole ? `(${feats.length} in view${t.matched > TILED_LIST_LIMIT ? ` of ${t.matched}` : ''})` : `(${feats.length})`;
      let note = null;
      if (t === null) note = h('p', { class: 'muted small tiled-note' }, 'This layer is too large to list here; search finds its features by name.');
      else if (t && t.matched > TILED_LIST_LIMIT) note = h('p', { class: 'muted small tiled-note' }, `The first ${TILED_LIST_LIMIT} of ${t.matched} features in the map's view; zoom in or search to find the others.`);
      sections.push(h('section', { class: 'list-layer', 'aria-labelledby': `list-h-${c.id}`, dataset: t !== undefined ? { tiled: '1' } : {} },
        h('h3', { id: `list-h-${c.id}` }, legendSymbol(c.kind), `${c.title || c.id} `, h('span', { class: 'count' }, count)),
        note,
        feats.length ? h('ul', { class: 'list-features' }, feats.map((f) => listItem(f, ev))) : h('p', { class: 'muted' }, t ? 'Nothing of this layer in view at this date.' : 'Nothing in this layer at this date.')));
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
          onclick: () => ui.selectFeature(f.key, { fly: true, focus: app.mode === 'list' || page.mobile.matches }) }, f.props.name || f.id)),
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
                h('a', { href: sourcePageURL(passage.source, passage.id) }, 'Read in context')),
              claim.basis === 'inferred' ? claimNote(claim.basis, claim.note) : null);
          }))) : null));
  }

  function markListSelection() {
    for (const li of document.querySelectorAll('.list-feature')) {
      const on = li.dataset.key === app.state.feature;
      li.classList.toggle('selected', on);
      li.querySelector('.feature-btn')?.setAttribute('aria-current', on ? 'true' : 'false');
    }
  }

  /** Arrow keys, Home and End move between the list's features. */
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

  return { listMode, openList, closeList, renderList, markListSelection, onListKey };
}

function cssId(key) {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}
