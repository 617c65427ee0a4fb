// The "Feature" combobox (WAI-ARIA combobox with a listbox popup): typing
// filters the features by name and alias; arrow keys move, Enter picks,
// Escape closes. Options are role="option" with aria-selected.
import { fold, h } from '../util.js';
import { uid } from './ui.js';

const MAX = 30;

/**
 * combobox({label, items, value, onPick}) → {el, input, value(), set(key)}
 * items: [{key, name, aliases: [..], layerTitle}].
 */
export function combobox({ label, items, value = null, onPick = () => {} }) {
  const id = uid('combo');
  const listId = `${id}-list`;
  const input = h('input', {
    id, type: 'text', role: 'combobox', autocomplete: 'off', spellcheck: 'false',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId, required: true,
  });
  const list = h('ul', { id: listId, role: 'listbox', class: 'ed-listbox', 'aria-label': label, hidden: true });
  let shown = [];
  let active = -1;
  let chosen = null;

  const matches = (q) => {
    const needle = fold(q.trim());
    if (!needle) return items.slice(0, MAX);
    const out = [];
    for (const it of items) {
      const names = [it.name, ...(it.aliases || [])].map(fold);
      const i = names.findIndex((n) => n.includes(needle));
      if (i < 0) continue;
      out.push({ it, rank: (i === 0 ? 0 : 10) + (names[i].startsWith(needle) ? 0 : 5), alias: i > 0 ? it.aliases[i - 1] : '' });
    }
    out.sort((a, b) => a.rank - b.rank || a.it.name.localeCompare(b.it.name));
    return out.slice(0, MAX);
  };

  const render = () => {
    const found = matches(input.value);
    shown = found.map((m) => m.it || m);
    active = -1;
    input.removeAttribute('aria-activedescendant');
    list.replaceChildren(...(found.length ? found.map((m, i) => {
      const it = m.it || m;
      return h('li', {
        role: 'option', id: `${id}-o${i}`, 'aria-selected': 'false', dataset: { key: it.key },
        onmousedown: (e) => { e.preventDefault(); pick(i); },
      }, h('span', { class: 'ed-opt-name' }, it.name),
      h('span', { class: 'ed-opt-meta small muted' }, m.alias ? `“${m.alias}” · ` : '', it.layerTitle || ''));
    }) : [h('li', { class: 'muted', role: 'option', 'aria-disabled': 'true' }, 'No feature matches')]));
    open(true);
  };

  const open = (on) => {
    list.hidden = !on;
    input.setAttribute('aria-expanded', String(on));
    if (!on) input.removeAttribute('aria-activedescendant');
  };

  const move = (d) => {
    if (!shown.length) return;
    active = (active + d + shown.length) % shown.length;
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', `${id}-o${active}`);
    list.children[active]?.scrollIntoView?.({ block: 'nearest' });
  };

  const pick = (i) => {
    const it = shown[i];
    if (!it) return;
    chosen = it;
    input.value = it.name;
    input.dataset.key = it.key;
    open(false);
    onPick(it);
  };

  input.addEventListener('input', () => { chosen = null; delete input.dataset.key; render(); });
  input.addEventListener('blur', () => open(false));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); if (list.hidden) render(); else move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'Enter' && !list.hidden) { e.preventDefault(); pick(active >= 0 ? active : 0); }
    else if (e.key === 'Escape' && !list.hidden) { e.preventDefault(); e.stopPropagation(); open(false); }
  });

  const set = (key) => {
    const it = items.find((x) => x.key === key);
    chosen = it || null;
    input.value = it ? it.name : '';
    if (it) input.dataset.key = it.key; else delete input.dataset.key;
  };
  if (value) set(value);

  const el = h('div', { class: 'ed-field ed-combo' }, h('label', { for: id }, label), input, list);
  return { el, input, value: () => chosen, set };
}
