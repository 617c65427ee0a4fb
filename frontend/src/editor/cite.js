// Citing: a quote of the open source becomes a passage (POST
// /sources/{id}/passages) and a claim on a feature, written into the
// editor's open changeset with a JSON Merge Patch of properties.claims.
import { h } from '../util.js';
import { combobox } from './combobox.js';
import { field, formDialog, select, uid } from './ui.js';

const ASPECTS = ['existence', 'location', 'status', 'valid_from', 'valid_to', 'name', 'aliases', 'operator', 'controlled_by'];

/**
 * The claim's own fields: relation, aspect, basis (a note required for
 * inferred), confidence. → {el, claim(passageID), invalid()}
 */
export function claimFields(init = {}) {
  const relation = select('relation', [['supports', 'supports'], ['contradicts', 'contradicts']], init.relation || 'supports');
  const listId = uid('aspects');
  const aspect = h('input', { type: 'text', name: 'aspect', list: listId, value: init.aspect || 'existence', required: true });
  const basisName = uid('basis');
  const explicit = h('input', { type: 'radio', name: basisName, value: 'explicit', checked: (init.basis || 'explicit') === 'explicit' });
  const inferred = h('input', { type: 'radio', name: basisName, value: 'inferred', checked: init.basis === 'inferred' });
  const note = h('textarea', { name: 'note', rows: 2 }, init.note || '');
  const confidence = select('confidence', [['high', 'high'], ['medium', 'medium'], ['low', 'low']], init.confidence || 'high');
  const noteField = field('Note', note, 'How the claim follows from the quote (required when inferred)');
  const sync = () => {
    note.required = inferred.checked;
    noteField.classList.toggle('ed-required', inferred.checked);
  };
  explicit.addEventListener('change', sync);
  inferred.addEventListener('change', sync);
  sync();
  const el = h('div', { class: 'ed-claim-fields' },
    h('div', { class: 'ed-row' }, field('Relation', relation), field('Aspect', aspect, 'What the quote says about the feature')),
    h('datalist', { id: listId }, ASPECTS.map((a) => h('option', { value: a }))),
    h('fieldset', { class: 'ed-basis' }, h('legend', null, 'Basis'),
      h('label', null, explicit, ' explicit', h('span', { class: 'muted small' }, ' (the quote names the feature and states it)')),
      h('label', null, inferred, ' inferred', h('span', { class: 'muted small' }, ' (it follows from the quote: say how in the note)'))),
    noteField,
    field('Confidence', confidence));
  return {
    el,
    values: () => ({ relation: relation.value, aspect: aspect.value.trim(), basis: inferred.checked ? 'inferred' : 'explicit', note: note.value.trim(), confidence: confidence.value }),
    claim(passage) {
      const c = { passage, relation: relation.value, aspect: aspect.value.trim(), basis: inferred.checked ? 'inferred' : 'explicit', confidence: confidence.value };
      if (note.value.trim()) c.note = note.value.trim();
      return c;
    },
    invalid() {
      if (!aspect.value.trim()) { aspect.focus(); return 'Say what the quote is evidence of (the aspect).'; }
      if (inferred.checked && !note.value.trim()) { note.focus(); return 'An inferred claim needs a note saying how it is inferred.'; }
      return '';
    },
    dirty: () => note.value.trim() !== '',
  };
}

/** Stores a quote of a source as a passage (or finds the one it already is). */
export async function savePassage(ed, sourceID, quote) {
  try {
    return await ed.call(`/sources/${encodeURIComponent(sourceID)}/passages`, {
      method: 'POST', json: { start: quote.start, end: quote.end, exact: quote.exact },
    });
  } catch (err) {
    // The server says why it cannot anchor the quote; say that it is the quote.
    if (err.problem) err.problem = { ...err.problem, detail: `The quote cannot be anchored in the source: ${err.problem.detail || err.problem.title}` };
    throw err;
  }
}

/** The claims a feature carries now, as the editor sees it (draft or published). */
export async function currentClaims(ed, layer, id) {
  const item = await ed.call(`/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}?f=json`);
  if (Array.isArray(item.properties?.claims)) return item.properties.claims;
  // A published item gives its claims as evidence, each with its quote.
  return (item.evidence || []).map((e) => {
    const c = { passage: e.passage, aspect: e.aspect, relation: e.relation };
    for (const k of ['basis', 'confidence', 'note']) if (e[k]) c[k] = e[k];
    return c;
  });
}

/** Adds a claim to a feature in the editor's open changeset. */
export async function addClaim(ed, key, claim) {
  const [layer, id] = splitKey(key);
  const claims = await currentClaims(ed, layer, id);
  claims.push(claim);
  return ed.call(`/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}`, {
    method: 'PATCH', json: { properties: { claims } }, type: 'application/merge-patch+json',
  });
}

export function splitKey(key) {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/**
 * The "Cite selection" form in a modal dialog: the quote, the "Feature"
 * combobox, the claim's fields, "Save claim". opts: {source, quote, feature}.
 */
export function openCite(ed, { source, quote, feature = null }) {
  const combo = combobox({ label: 'Feature', items: ed.features, value: feature });
  const cf = claimFields();
  const drawNew = h('button', { type: 'button', class: 'linkish' }, 'Draw a new feature for this quote');
  const d = formDialog(ed, {
    kind: 'cite', title: 'Cite this quote', saveLabel: 'Save claim',
    fields: [
      h('blockquote', { class: 'passage ed-quote' }, h('p', null, h('mark', null, quote.exact))),
      combo.el,
      h('p', { class: 'small' }, 'Not on the map yet? ', drawNew),
      cf.el,
    ],
    async onSubmit({ msg, close }) {
      const f = combo.value();
      if (!f) { msg.error(new Error('Choose the feature the quote is about from the list.')); combo.input.focus(); return; }
      const bad = cf.invalid();
      if (bad) { msg.error(new Error(bad)); return; }
      const p = await savePassage(ed, source, quote);
      const out = await addClaim(ed, f.key, cf.claim(p.id));
      close();
      await ed.afterWrite(`claim:${f.key}:${p.id}`, `Cited passage ${p.id} for “${f.name}” (changeset ${out.changeset}).`);
    },
  });
  // A message about the last attempt goes once the editor changes something.
  d.form.addEventListener('change', () => d.msg.clear());
  drawNew.addEventListener('click', () => {
    const claim = { source, quote, ...cf.values() };
    d.close();
    ed.startDraw(claim);
  });
  combo.input.focus();
  return d.dlg;
}
