// "Add source" and the editor's reader.
import { h } from '../util.js';
import { isPending } from './changes.js';
import { openCite } from './cite.js';
import { openFeatureForm } from './feature.js';
import { markedText, selectionIn, sentenceAround } from './reader.js';
import { field, messageArea } from './ui.js';

/** The "Add source" form. */
export function sourceView(ed) {
  const msg = messageArea();
  const input = (name, type = 'text', extra = {}) => h('input', { type, name, ...extra });
  const f = {
    title: input('title'),
    publisher: input('publisher'),
    author: input('author'),
    url: input('url', 'url', { placeholder: 'https://' }),
    published: input('published', 'date'),
    language: input('language', 'text', { value: 'en', size: 6, pattern: '[A-Za-z]{2,3}(-[A-Za-z0-9]+)*' }),
    text: h('textarea', { name: 'text', rows: 12, spellcheck: 'false' }),
    html: input('html', 'file', { accept: '.html,.htm,text/html' }),
  };
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save source');
  const form = h('form', { class: 'ed-form', novalidate: true, dataset: { form: 'source' } },
    field('Title', f.title),
    h('div', { class: 'ed-row' }, field('Publisher', f.publisher), field('Author', f.author)),
    field('URL', f.url),
    h('div', { class: 'ed-row' }, field('Published', f.published), field('Language', f.language, 'e.g. en, ru, hy')),
    field('Article text', f.text, 'Paste the article as plain text; or upload its HTML below'),
    field('HTML file', f.html),
    msg.el,
    h('div', { class: 'ed-actions' }, save));
  const typed = () => ['title', 'publisher', 'author', 'url', 'published', 'text'].some((k) => f[k].value.trim()) || f.html.files?.length > 0;
  let saved = false;
  const undirty = ed.dirty.add({ isDirty: () => !saved && form.isConnected && typed() });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.clear();
    const body = {};
    for (const k of ['title', 'publisher', 'author', 'url', 'published', 'language']) if (f[k].value.trim()) body[k] = f[k].value.trim();
    const file = f.html.files?.[0];
    if (file) body.html = await file.text();
    else body.text = f.text.value;
    if (!body.html && !body.text.trim()) { msg.error(new Error('Paste the article text, or choose its HTML file.')); f.text.focus(); return; }
    save.disabled = true;
    try {
      const src = await ed.call('/sources', { method: 'POST', json: body });
      saved = true;
      undirty();
      ed.setStatus(`Saved source ${src.id} (changeset ${src.changeset}).`);
      await openSource(ed, src.id);
    } catch (err) {
      msg.error(err, 'The source was not saved');
      // The same text again: the server names the source that has it.
      const existing = (err.status === 409 || err.problem?.status === 409) && /source (\S+)$/.exec(err.problem?.detail || '');
      if (existing) {
        msg.el.append(h('button', { type: 'button', class: 'toggle', onclick: () => openSource(ed, existing[1]).catch((e) => msg.error(e)) }, 'Open that source'));
      }
    } finally {
      save.disabled = false;
    }
  });
  const others = h('div', { class: 'ed-sources' });
  listSources(ed, others);
  return [h('h2', { class: 'ed-title' }, 'Add source'), form, others];
}

/** The sources an editor can go back to: drafts in open changesets, then published ones. */
async function listSources(ed, el) {
  try {
    const [pub, sets] = await Promise.all([ed.call('/sources?f=json'), ed.call('/changesets')]);
    const drafts = [];
    for (const c of (sets.changesets || []).filter((x) => isPending(x) && x.sources.length)) {
      const full = await ed.call(`/changesets/${c.id}`);
      drafts.push(...(full.new_sources || []));
    }
    const item = (s, draft) => h('li', null,
      h('button', { type: 'button', class: 'linkish', onclick: () => openSource(ed, s.id).catch((err) => ed.setStatus(`The source could not be opened: ${err.message}`)) }, s.title || s.label || s.id),
      h('span', { class: 'muted small' }, ` ${[s.publisher, s.published].filter(Boolean).join(' · ')}${draft ? ' · draft' : ''}`));
    el.replaceChildren(
      h('h3', null, 'Or open a source'),
      h('ul', { class: 'ed-source-list' }, drafts.map((s) => item(s, true)), (pub.sources || []).map((s) => item(s, false))));
  } catch (err) {
    el.replaceChildren(h('p', { class: 'muted small' }, `The list of sources could not be loaded: ${err.message}`));
  }
}

/** Opens a source in the editor's reader. */
export async function openSource(ed, id) {
  const [src, sug] = await Promise.all([
    ed.call(`/sources/${encodeURIComponent(id)}?f=json`),
    ed.call(`/sources/${encodeURIComponent(id)}/suggestions`).catch((err) => ({ suggestions: [], error: err })),
  ]);
  const suggestions = sug.suggestions || [];
  const dismissed = dismissals(ed, src.id);
  const r = { src, suggestions, dismissed: new Set(suggestions.flatMap((s, i) => (dismissed.has(s) ? [i] : []))), lastSel: null };
  ed.reader = r;
  const msg = messageArea();
  // Editable only so that a keyboard can move a caret in it and select
  // (Shift+arrows): every change is refused, the text stays the source's.
  const text = h('div', {
    class: 'ed-text', id: 'ed-text', lang: src.language || null, contenteditable: 'true', spellcheck: 'false',
    role: 'textbox', 'aria-multiline': 'true', 'aria-readonly': 'true', 'aria-label': 'Article text: select words to quote',
  });
  for (const type of ['beforeinput', 'paste', 'drop', 'cut', 'dragstart']) text.addEventListener(type, (e) => e.preventDefault());
  text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) e.preventDefault(); });
  const list = h('ol', { class: 'ed-suggestions' });
  const cite = h('button', { type: 'button', class: 'primary' }, 'Cite selection');
  const root = h('section', { class: 'ed-reader', id: 'ed-reader', dataset: { source: src.id }, 'aria-labelledby': 'ed-reader-title' },
    h('h2', { class: 'ed-title', id: 'ed-reader-title' }, src.title || src.label || src.id),
    h('p', { class: 'small muted' }, [src.publisher, src.author, src.published].filter(Boolean).join(' · ') || 'No publisher, author or date given',
      src.draft ? ' · draft' : ''),
    h('div', { class: 'ed-actions ed-sticky' }, cite, h('span', { class: 'small muted' }, 'Select words in the text, then cite them.')),
    msg.el,
    text,
    h('h3', null, 'Places in this text'),
    sug.error ? h('p', { class: 'ed-error' }, `Suggestions could not be loaded: ${sug.error.problem?.detail || sug.error.message}`) : null,
    list,
    h('p', { class: 'small muted ed-legend' }, h('mark', { class: 'ed-sug' }, 'place'), ' a place the text mentions · ', h('mark', { class: 'ed-passage' }, 'quote'), ' a passage already quoted'));

  const passages = () => (r.src.passages || []).filter((p) => p.source === undefined || p.source === r.src.id);
  const renderText = () => {
    text.replaceChildren(...markedText(r.src.text, r.suggestions, passages(), r.dismissed));
  };
  const renderList = () => {
    const items = r.suggestions.map((s, i) => ({ s, i })).filter(({ i }) => !r.dismissed.has(i));
    list.replaceChildren(...items.map(({ s, i }) => suggestionItem(ed, r, s, i, () => { r.dismissed.add(i); dismissed.add(s); renderText(); renderList(); })));
    if (!items.length) list.replaceChildren(h('li', { class: 'muted' }, 'No places found (or all dismissed).'));
  };
  r.refresh = async () => {
    r.src = await ed.call(`/sources/${encodeURIComponent(id)}?f=json`);
    renderText();
  };
  renderText();
  renderList();

  // The selection is remembered: pressing a button may clear it.
  const onSel = () => { const s = selectionIn(text); if (s) r.lastSel = s; };
  document.addEventListener('selectionchange', onSel);
  ed.cleanup.push(() => document.removeEventListener('selectionchange', onSel));
  text.addEventListener('click', (e) => {
    const m = e.target.closest?.('mark[data-suggestion]');
    if (!m) return;
    const li = list.querySelector(`li[data-suggestion="${m.dataset.suggestion}"]`);
    li?.scrollIntoView({ block: 'nearest' });
    li?.querySelector('button')?.focus({ preventScroll: true });
  });
  cite.addEventListener('click', () => {
    msg.clear();
    const sel = selectionIn(text) || r.lastSel;
    if (!sel) { msg.error(new Error('Select the words to quote in the text first: drag across them, or click before them and extend with Shift+arrows.')); return; }
    r.lastSel = null;
    openCite(ed, { source: r.src.id, quote: sel });
  });
  ed.show(root);
  root.dataset.ready = '1';
  return root;
}

/**
 * The suggestions an editor dismissed in a source, kept in the browser
 * (per user and source) so that they stay dismissed after a reload. A
 * suggestion is known by its place in the text, which a source never
 * changes (a correction is a new revision, a new source).
 */
function dismissals(ed, sourceID) {
  const key = `citemap.editor.dismissed.${ed.user.name}.${sourceID}`;
  const id = (s) => `${s.start}-${s.end}`;
  let set;
  try { set = new Set(JSON.parse(localStorage.getItem(key) || '[]')); } catch { set = new Set(); }
  return {
    has: (s) => set.has(id(s)),
    add(s) {
      set.add(id(s));
      try { localStorage.setItem(key, JSON.stringify([...set])); } catch { /* storage off: dismissed until reload */ }
    },
  };
}

/** One suggestion with its candidates: accept a feature, place a new one, or dismiss. */
function suggestionItem(ed, r, s, i, dismiss) {
  const quote = () => sentenceAround(r.src.text, s.start, s.end);
  return h('li', { class: 'ed-suggestion', dataset: { suggestion: String(i) } },
    h('p', null, h('strong', null, `“${s.exact}”`)),
    h('ul', { class: 'ed-candidates' }, (s.candidates || []).map((c) => {
      if (c.feature) {
        const f = ed.features.find((x) => x.key === c.feature);
        const name = f?.name || c.feature;
        return h('li', { dataset: { feature: c.feature } },
          h('span', null, name, h('span', { class: 'muted small' }, ` · ${f?.layerTitle || c.feature.split('/')[0]} · score ${c.score}`)),
          h('button', { type: 'button', class: 'toggle', 'aria-label': `Accept ${name} for “${s.exact}”`,
            onclick: () => openCite(ed, { source: r.src.id, quote: quote(), feature: c.feature }) }, 'Accept'));
      }
      if (c.place) {
        const p = c.place;
        return h('li', { class: 'ed-place' },
          h('span', null, p.name, h('span', { class: 'muted small' }, ` · ${p.lat.toFixed(4)}, ${p.lon.toFixed(4)} · score ${c.score}`)),
          h('button', { type: 'button', class: 'toggle', 'aria-label': `New feature at ${p.name} for “${s.exact}”`, title: p.source,
            onclick: () => openFeatureForm(ed, {
              geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
              props: { name: p.name, coord_source: p.source },
              claim: { source: r.src.id, quote: quote() },
            }) }, 'New feature here'));
      }
      return null;
    })),
    h('button', { type: 'button', class: 'linkish small', 'aria-label': `Dismiss “${s.exact}”`, onclick: dismiss }, 'Dismiss'));
}
