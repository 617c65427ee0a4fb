// Search: features by name, name_* and alias, then passages by their text
// (loaded on first use), in an ARIA combobox.
import { loadEvidence, standsAt } from './data.js';
import { ensureFeature, isTiled } from './tiles.js';
import { searchExport } from './exportsearch.js';
import { isStatic, searchURL } from './urls.js';
import { dayNumber, fold, getJSON, h, setChildren } from './util.js';

/** How long typing pauses before the server is asked (layers drawn from tiles). */
const REMOTE_DELAY_MS = 150;

const $ = (id) => document.getElementById(id);

/**
 * Wires the search box (#search-input, #search-results).
 * ui: setDate (a result that did not stand at the as-of date clears it),
 * selectFeature.
 */
export function wireSearch(app, ui) {
  const input = $('search-input');
  const list = $('search-results');
  let results = [];
  let active = -1;
  // The parts of the answer: features by name from the layers the map
  // holds, from the server for the layers it draws from tiles, passages.
  let local = [];
  let remote = [];
  let passages = [];
  let remoteTimer = null;
  let remoteSeq = 0;

  function compose(needle) {
    const byRank = (a, b) => a.rank - b.rank || String(a.f.props.name).localeCompare(String(b.f.props.name));
    results = local.concat(remote).sort(byRank).slice(0, 10).concat(passages.slice(0, 8));
    render(needle);
  }

  /** Features of tiled layers, found by the server (after a pause in typing). */
  function runRemote(q, needle) {
    clearTimeout(remoteTimer);
    const seq = ++remoteSeq;
    remote = [];
    const tiled = app.collections.filter(isTiled).map((c) => c.id);
    const url = tiled.length ? searchURL(q.trim(), tiled, 10) : null;
    if (!url && !(tiled.length && isStatic())) return;
    list.dataset.remote = 'pending';
    remoteTimer = setTimeout(async () => {
      let answer;
      try {
        answer = url ? await getJSON(url) : await searchExport(q.trim(), tiled, 10);
      } catch (err) {
        console.warn('search:', err);
        answer = { features: [] };
      }
      if (seq !== remoteSeq || fold(input.value) !== needle) return;
      remote = (answer.features || []).map((hit) => remoteResult(app, hit, needle));
      list.dataset.remote = 'done';
      compose(needle);
    }, REMOTE_DELAY_MS);
  }

  function run(q) {
    const needle = fold(q);
    if (needle.length < 2) {
      clearTimeout(remoteTimer);
      remoteSeq++;
      results = [];
      local = remote = passages = [];
      render();
      return;
    }
    runRemote(q, needle);
    passages = [];
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
    local = feats.slice(0, 10);

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
      passages = pas.slice(0, 8);
      compose(needle);
    }).catch(() => {});
    compose(needle);
    list.dataset.query = needle;
  }

  function render(needle = '') {
    active = -1;
    input.removeAttribute('aria-activedescendant');
    if (!results.length) {
      setChildren(list, needle ? h('li', { class: 'muted empty', role: 'option', 'aria-disabled': 'true' }, 'No match') : null);
      list.hidden = !needle;
      input.setAttribute('aria-expanded', String(!!needle));
      return;
    }
    setChildren(list, results.map((r, i) => {
      const col = app.collections.find((c) => c.id === r.f.layer);
      const li = h('li', { role: 'option', id: `sr-${i}`, class: `result result-${r.type}`, dataset: { key: r.f.key }, 'aria-selected': 'false',
        onmousedown: (e) => { e.preventDefault(); choose(i); } },
      r.type === 'feature'
        ? [h('span', { class: 'r-name' }, r.f.props.name), h('span', { class: 'r-meta muted small' }, matchedAlias(r.f, needle), col?.title || r.f.layer)]
        : [h('span', { class: 'r-quote' }, snippet(r.p.exact, r.at, needle.length)), h('span', { class: 'r-meta muted small' }, `passage ${r.p.id} → ${r.f.props.name}`)]);
      return li;
    }));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }

  function moveActive(delta) {
    const items = [...list.querySelectorAll('.result')];
    if (!items.length) return;
    active = (active + delta + items.length) % items.length;
    items.forEach((el, i) => el.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', items[active].id);
    items[active].scrollIntoView({ block: 'nearest' });
  }

  async function choose(i) {
    const r = results[i];
    if (!r) return;
    close();
    input.blur();
    // A feature of a tiled layer is fetched (with its evidence) by id.
    const f = r.f.remote ? await ensureFeature(app, r.f.key) : r.f;
    if (!f) return;
    if (app.state.date && !standsAt(f, dayNumber(app.state.date))) ui.setDate('');
    ui.selectFeature(f.key, { fly: true });
  }

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  input.addEventListener('input', () => run(input.value));
  input.addEventListener('focus', () => { loadEvidence().catch(() => {}); if (input.value) run(input.value); });
  input.addEventListener('blur', () => close());
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); moveActive(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); moveActive(-1); }
    else if (e.key === 'Enter') { e.preventDefault(); choose(active >= 0 ? active : 0); }
    else if (e.key === 'Escape') { close(); }
  });
}

/**
 * A result from the server's search: the feature as far as the result
 * knows it (the app has it in full once it is chosen), ranked as the local
 * search ranks.
 */
function remoteResult(app, hit, needle) {
  const key = `${hit.layer}/${hit.id}`;
  const known = app.features.get(key);
  const name = fold(hit.name);
  const at = name.indexOf(needle);
  const rank = at >= 0 ? (at === 0 ? 0 : 5) : 10 + (fold(hit.match).indexOf(needle) === 0 ? 0 : 5);
  const f = known || {
    key, layer: hit.layer, id: hit.id, remote: true, bbox: hit.bbox,
    props: { name: hit.name, aliases: hit.match || '' }, names: [name, fold(hit.match)].filter(Boolean),
  };
  return { type: 'feature', f, rank };
}

/** “alias” · when the match is on an alias rather than the name. */
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
