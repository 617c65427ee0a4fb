// "Changes": the editor's open changeset (reviewers: every open one), each
// change with its diff — geometry before and after drawn on the map,
// properties and claims before and after — the features still lacking an
// explicit supporting claim, a message, and "Submit for review" (editors)
// or "Publish" (reviewers). Reviewers can revert a published changeset.
import { h } from '../util.js';
import { messageArea, uid, when } from './ui.js';

const DIFF_SOURCE = 'editor-diff';
const INTERNAL = new Set(['claims']);

/** Open or submitted: its drafts are pending, its author's writes join it. */
export function isPending(c) {
  return c.state === 'open' || c.state === 'submitted';
}

export function isReviewer(user) {
  return user.role === 'reviewer' || user.role === 'admin';
}

/** The map layers that draw a diff: before grey and dashed, after orange. */
export function diffLayer(map) {
  const ids = [];
  const ensure = () => {
    if (map.getSource(DIFF_SOURCE)) return;
    map.addSource(DIFF_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    const add = (l) => { map.addLayer({ source: DIFF_SOURCE, ...l }); ids.push(l.id); };
    const side = (s) => ['==', ['get', 'side'], s];
    add({ id: 'editor-diff-fill', type: 'fill', filter: ['all', side('after'), ['==', ['geometry-type'], 'Polygon']], paint: { 'fill-color': '#c2410c', 'fill-opacity': 0.15 } });
    add({ id: 'editor-diff-before', type: 'line', filter: ['all', side('before'), ['!=', ['geometry-type'], 'Point']], paint: { 'line-color': '#6b7280', 'line-width': 3, 'line-dasharray': [2, 2] } });
    add({ id: 'editor-diff-after', type: 'line', filter: ['all', side('after'), ['!=', ['geometry-type'], 'Point']], paint: { 'line-color': '#c2410c', 'line-width': 3 } });
    add({ id: 'editor-diff-before-pt', type: 'circle', filter: ['all', side('before'), ['==', ['geometry-type'], 'Point']], paint: { 'circle-radius': 7, 'circle-color': '#ffffff', 'circle-stroke-color': '#6b7280', 'circle-stroke-width': 2 } });
    add({ id: 'editor-diff-after-pt', type: 'circle', filter: ['all', side('after'), ['==', ['geometry-type'], 'Point']], paint: { 'circle-radius': 6, 'circle-color': '#c2410c', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } });
  };
  return {
    show(diffs, { fit = true } = {}) {
      if (!map) return;
      ensure();
      const features = [];
      for (const d of diffs) {
        if (d.geometry_before && JSON.stringify(d.geometry_before) !== JSON.stringify(d.geometry_after)) {
          features.push({ type: 'Feature', geometry: d.geometry_before, properties: { side: 'before', key: `${d.layer}/${d.id}` } });
        }
        if (d.geometry_after) features.push({ type: 'Feature', geometry: d.geometry_after, properties: { side: 'after', key: `${d.layer}/${d.id}` } });
      }
      map.getSource(DIFF_SOURCE).setData({ type: 'FeatureCollection', features });
      const box = bboxOf(features.map((f) => f.geometry));
      if (box && fit) map.fitBounds(box, { padding: { top: 60, bottom: 60, left: 520, right: 60 }, maxZoom: 9, duration: 0 });
    },
    clear() {
      map?.getSource(DIFF_SOURCE)?.setData({ type: 'FeatureCollection', features: [] });
    },
    remove() {
      if (!map?.getSource(DIFF_SOURCE)) return;
      for (const id of ids) if (map.getLayer(id)) map.removeLayer(id);
      map.removeSource(DIFF_SOURCE);
    },
  };
}

function bboxOf(geoms) {
  let b = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      if (!b) b = [c[0], c[1], c[0], c[1]];
      b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    } else c.forEach(visit);
  };
  for (const g of geoms) if (g?.coordinates) visit(g.coordinates);
  return b && [[b[0], b[1]], [b[2], b[3]]];
}

/** The Changes view. */
export async function changesView(ed) {
  const root = h('section', { class: 'ed-changes', id: 'ed-changes', 'aria-labelledby': 'ed-changes-title' },
    h('h2', { class: 'ed-title', id: 'ed-changes-title' }, 'Changes'));
  ed.show(root);
  const reviewer = isReviewer(ed.user);
  let list;
  try {
    list = (await ed.call('/changesets')).changesets || [];
  } catch (err) {
    const m = messageArea();
    m.error(err, 'The changesets could not be loaded');
    root.append(m.el);
    return root;
  }
  // The server lists submitted changesets first, longest waiting first.
  const open = list.filter((c) => isPending(c) && (reviewer || c.author === ed.user.name));
  if (!open.length) root.append(h('p', { class: 'muted' }, reviewer ? 'No open changeset.' : 'You have no open changes.'));
  const allDiffs = [];
  let group = null;
  for (const c of open) {
    if (reviewer && c.state !== group) {
      group = c.state;
      root.append(h('h3', { class: 'ed-group', dataset: { group } }, group === 'submitted' ? 'Submitted for review' : 'Not yet submitted'));
    }
    const full = await ed.call(`/changesets/${c.id}`);
    allDiffs.push(...(full.diff || []));
    root.append(await changesetSection(ed, full, reviewer));
  }
  ed.diff.show(allDiffs);
  if (reviewer) {
    // The server lists changesets newest first: the ten latest published.
    const published = list.filter((c) => c.state === 'published' && !c.reverts).slice(0, 10);
    if (published.length) {
      root.append(h('h3', null, 'Published'), h('ul', { class: 'ed-published' }, published.map((c) => publishedItem(ed, c))));
    }
  }
  root.dataset.ready = '1';
  return root;
}

/** Every passage a diff names: from the changeset, else from the server. */
async function passagesOf(ed, cs, diffs) {
  const byID = new Map((cs.new_passages || []).map((p) => [p.id, p]));
  const want = new Set();
  for (const d of diffs) for (const c of [...d.claims_added, ...d.claims_removed]) if (!byID.has(c.passage)) want.add(c.passage);
  await Promise.all([...want].map(async (id) => {
    try { byID.set(id, await ed.call(`/passages/${encodeURIComponent(id)}?f=json`)); } catch { /* shown by id */ }
  }));
  return byID;
}

/** A feature of a cited layer needs a claim that supports it explicitly. */
async function lacking(ed, diffs) {
  const out = [];
  for (const d of diffs) {
    if (!d.geometry_after) continue;
    const col = ed.collections.find((c) => c.id === d.layer);
    if (!col || col.uncited || col.kind === 'context') continue;
    let claims = [];
    try {
      const item = await ed.call(`/collections/${encodeURIComponent(d.layer)}/items/${encodeURIComponent(d.id)}?f=json`);
      claims = item.properties?.claims || item.evidence || [];
    } catch { /* counted as lacking */ }
    if (!claims.some((c) => c.relation === 'supports' && c.basis === 'explicit')) out.push(d);
  }
  return out;
}

async function changesetSection(ed, cs, reviewer) {
  const msg = messageArea();
  const diffs = cs.diff || [];
  const passages = await passagesOf(ed, cs, diffs);
  const missing = await lacking(ed, diffs);
  const msgId = uid('msg');
  const message = h('textarea', { id: msgId, rows: 2, name: 'message' }, cs.message || '');
  const mine = cs.author === ed.user.name;
  const act = reviewer
    ? h('button', { type: 'button', class: 'primary', dataset: { changeset: String(cs.id) } }, 'Publish')
    : h('button', { type: 'button', class: 'primary', dataset: { changeset: String(cs.id) } }, 'Submit for review');
  const section = h('section', { class: 'ed-changeset', dataset: { changeset: String(cs.id), state: cs.state } },
    h('h3', null, `Changeset ${cs.id}`, h('span', { class: 'muted small' }, ` by ${cs.author}${mine ? ' (you)' : ''} · updated ${when(cs.updated)}`)),
    cs.submitted ? h('p', { class: 'small ed-submitted' }, `Submitted for review ${when(cs.submitted)}.`) : null,
    (cs.new_sources || []).length ? h('p', { class: 'small' }, 'New sources: ', cs.new_sources.map((s, i) => [i ? ', ' : '', h('cite', null, s.title || s.label || s.id)])) : null,
    diffs.length ? h('ol', { class: 'ed-diffs' }, diffs.map((d) => diffItem(ed, d, passages))) : h('p', { class: 'muted' }, 'No feature changed yet.'),
    missing.length ? h('div', { class: 'ed-warn', role: 'note', dataset: { lacking: missing.map((d) => `${d.layer}/${d.id}`).join(' ') } },
      h('p', null, 'Still lacking an explicit supporting claim (publishing will be refused):'),
      h('ul', null, missing.map((d) => h('li', null, `${d.properties_after?.name || d.id} (${d.layer})`)))) : null,
    h('div', { class: 'ed-field' }, h('label', { for: msgId }, 'Message'), message),
    msg.el,
    h('div', { class: 'ed-actions' }, act));
  const undirty = ed.dirty.add({ isDirty: () => section.isConnected && message.value.trim() !== (cs.message || '').trim() });
  act.addEventListener('click', async () => {
    msg.clear();
    act.disabled = true;
    try {
      if (reviewer) {
        const out = await ed.call(`/changesets/${cs.id}/publish`, { method: 'POST', json: message.value.trim() ? { message: message.value.trim() } : {} });
        undirty();
        section.dataset.state = 'published';
        section.dataset.version = String(out.version);
        msg.info(`Published as data version ${out.version}.`);
        act.hidden = true;
        await ed.ctx.reloadLayers?.();
        ed.diff.clear();
        ed.setStatus(`Changeset ${cs.id} published as data version ${out.version}.`, `published:${cs.id}:${out.version}`);
      } else {
        if (!message.value.trim()) { msg.error(new Error('Say in a line what the changeset does, for the reviewer and the history.')); message.focus(); return; }
        const out = await ed.call(`/changesets/${cs.id}/submit`, { method: 'POST', json: { message: message.value.trim() } });
        undirty();
        section.dataset.state = out.state;
        msg.info('Submitted: a reviewer can now review and publish it. Further edits join the same changeset.');
        ed.setStatus(`Changeset ${cs.id} submitted for review.`, `submitted:${cs.id}`);
      }
    } catch (err) {
      msg.error(err, reviewer ? 'Not published' : 'Not submitted');
    } finally {
      act.disabled = false;
    }
  });
  return section;
}

function valueText(v) {
  if (v === undefined || v === null || v === '') return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** One change: what it did to the geometry, the properties and the claims. */
export function diffItem(ed, d, passages = new Map()) {
  const before = d.properties_before || {};
  const after = d.properties_after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !INTERNAL.has(k) && valueText(before[k]) !== valueText(after[k])).sort();
  const geomChanged = JSON.stringify(d.geometry_before ?? null) !== JSON.stringify(d.geometry_after ?? null);
  const name = after.name || before.name || d.id;
  const claim = (c, kind) => {
    const p = passages.get(c.passage);
    return h('li', { class: `ed-claim-${kind}`, dataset: { passage: c.passage } },
      h('span', { class: `badge ${kind === 'added' ? 'badge-supports' : 'badge-contradicts'}` }, kind === 'added' ? '+ claim' : '− claim'),
      ` ${c.relation} · ${c.aspect} · ${c.basis || 'basis not stated'}${c.confidence ? ` · ${c.confidence}` : ''} `,
      p ? h('q', null, p.exact) : h('span', { class: 'muted' }, `passage ${c.passage}`),
      c.note ? h('span', { class: 'muted small block' }, `Note: ${c.note}`) : null);
  };
  return h('li', { class: 'ed-diff', dataset: { key: `${d.layer}/${d.id}`, op: d.op } },
    h('p', null, h('strong', null, name), ` · ${d.layer} · `, h('span', { class: `ed-op ed-op-${d.op}` }, d.op),
      d.geometry_after && ed.ctx.map ? [' · ', h('button', { type: 'button', class: 'linkish small', onclick: () => ed.diff.show([d]) }, 'Show on map')] : null),
    geomChanged ? h('p', { class: 'small' }, d.op === 'create' ? 'New geometry (orange on the map).' : d.op === 'delete' ? 'Geometry removed (grey dashed on the map).' : 'Geometry moved: before grey dashed, after orange.') : null,
    keys.length ? h('table', { class: 'ed-props' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Property'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
      h('tbody', null, keys.map((k) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, valueText(before[k])), h('td', null, valueText(after[k])))))) : null,
    d.claims_added.length || d.claims_removed.length ? h('ul', { class: 'ed-claims' },
      d.claims_added.map((c) => claim(c, 'added')), d.claims_removed.map((c) => claim(c, 'removed'))) : null);
}

function publishedItem(ed, c) {
  const msg = messageArea();
  const btn = h('button', { type: 'button', class: 'toggle', 'aria-label': `Revert changeset ${c.id}` }, 'Revert');
  btn.addEventListener('click', async () => {
    msg.clear();
    btn.disabled = true;
    try {
      const out = await ed.call(`/changesets/${c.id}/revert`, { method: 'POST' });
      msg.info(`Reverted: changeset ${out.id} published the inverse as data version ${out.version}.`);
      btn.hidden = true;
      await ed.ctx.reloadLayers?.();
    } catch (err) {
      msg.error(err, 'Not reverted');
    } finally {
      btn.disabled = false;
    }
  });
  return h('li', { dataset: { changeset: String(c.id) } },
    `${c.id}: ${c.message || '(no message)'} `,
    h('span', { class: 'muted small' }, `by ${c.author}, published by ${c.publisher || '?'} ${c.published ? when(c.published) : ''} as version ${c.version}`),
    ' ', c.reverted_by ? h('span', { class: 'muted small' }, `(reverted by ${c.reverted_by})`) : btn, msg.el);
}

