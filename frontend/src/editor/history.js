// The feature panel's history, for signed-in users: every published
// version of the feature with who, when, the message and what changed.
import { h } from '../util.js';
import { editGeometry } from './feature.js';
import { when } from './ui.js';

/** "geometry, status, 1 claim added" from a version's diff. */
export function changeSummary(d, passages = []) {
  if (!d) return '';
  if (d.op === 'evidence') {
    return `the quote of ${passages.map((p) => `passage ${p.id}`).join(', ') || 'a cited passage'} (its source was revised)`;
  }
  if (d.op === 'create') return 'created';
  if (d.op === 'delete') return 'deleted';
  const out = [];
  if (JSON.stringify(d.geometry_before) !== JSON.stringify(d.geometry_after)) out.push('geometry');
  const b = d.properties_before || {};
  const a = d.properties_after || {};
  for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
    if (k !== 'claims' && JSON.stringify(b[k] ?? '') !== JSON.stringify(a[k] ?? '')) out.push(k);
  }
  const n = (d.claims_added || []).length;
  const m = (d.claims_removed || []).length;
  if (n) out.push(`${n} claim${n === 1 ? '' : 's'} added`);
  if (m) out.push(`${m} claim${m === 1 ? '' : 's'} removed`);
  return out.length ? out.join(', ') : 'no visible change';
}

/** Adds the History section to a feature panel body. */
export async function renderHistory(ed, { layer, id, feature, element }) {
  // The panel renders twice: at once (feature null), then with the item loaded.
  if (feature === null || !element || element.querySelector('.ed-history')) return;
  const list = h('ol', { class: 'ed-history-list', reversed: true });
  const section = h('section', { class: 'ed-history', 'aria-labelledby': `ed-hist-${layer}-${id}`.replace(/[^A-Za-z0-9_-]/g, '_') },
    ed.draw ? h('p', { class: 'ed-actions' }, h('button', { type: 'button', class: 'toggle', onclick: () => editGeometry(ed, layer, id) }, 'Edit geometry')) : null,
    h('h3', { id: `ed-hist-${layer}-${id}`.replace(/[^A-Za-z0-9_-]/g, '_') }, 'History'), list);
  element.append(section);
  try {
    const out = await ed.call(`/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}/history`);
    const versions = (out.versions || []).slice().reverse();
    list.replaceChildren(...versions.map((v) => h('li', { dataset: { version: String(v.version) } },
      h('p', null, h('strong', null, `Version ${v.version}`), h('span', { class: 'muted small' }, ` · ${when(v.time)}`)),
      h('p', { class: 'small' },
        v.changeset_author ? `by ${v.changeset_author}` : (v.author ? `by ${v.author}` : 'imported'),
        v.publisher && v.publisher !== v.changeset_author ? `, published by ${v.publisher}` : ''),
      v.message ? h('p', { class: 'small' }, h('q', null, v.message)) : null,
      h('p', { class: 'small muted' }, `Changed: ${changeSummary(v.diff, v.passages_changed)}`))));
    if (!versions.length) list.replaceChildren(h('li', { class: 'muted' }, 'No published version.'));
  } catch (err) {
    list.replaceChildren(h('li', { class: 'muted' }, `The history could not be loaded: ${err.problem?.detail || err.message}`));
  }
  section.dataset.ready = '1';
}
