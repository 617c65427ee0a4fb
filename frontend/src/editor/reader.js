// The editor's reader: a source's normalized text with the places it
// mentions marked (<mark data-suggestion>) and the passages already quoted
// marked differently (<mark data-passage>), the list of suggestions with
// their candidates, and the selection the editor may cite.
import { h } from '../util.js';
import { cps } from './ui.js';

/**
 * Splits text at every suggestion and passage boundary (code points) and
 * returns the nodes: plain text, or a <mark> per run.
 */
export function markedText(text, suggestions, passages, dismissed = new Set()) {
  const chars = cps(text);
  const sugs = suggestions.map((s, i) => ({ ...s, i })).filter((s) => !dismissed.has(s.i));
  const cuts = new Set([0, chars.length]);
  for (const s of sugs) { cuts.add(s.start); cuts.add(s.end); }
  for (const p of passages) { cuts.add(p.start); cuts.add(p.end); }
  const at = [...cuts].filter((n) => n >= 0 && n <= chars.length).sort((a, b) => a - b);
  const out = [];
  for (let k = 0; k + 1 < at.length; k++) {
    const a = at[k];
    const b = at[k + 1];
    if (a === b) continue;
    const seg = chars.slice(a, b).join('');
    const s = sugs.find((x) => x.start <= a && b <= x.end);
    const p = passages.find((x) => x.start <= a && b <= x.end);
    if (s) {
      out.push(h('mark', { class: `ed-sug${p ? ' ed-in-passage' : ''}`, dataset: { suggestion: String(s.i), ...(p ? { passage: p.id } : {}) }, title: `Place: ${s.exact}` }, seg));
    } else if (p) {
      out.push(h('mark', { class: 'ed-passage', dataset: { passage: p.id }, title: `Quoted as passage ${p.id}` }, seg));
    } else {
      out.push(document.createTextNode(seg));
    }
  }
  return out;
}

/** The code-point offset of (node, offset) inside container. */
export function offsetIn(container, node, offset) {
  const r = document.createRange();
  r.setStart(container, 0);
  r.setEnd(node, offset);
  return cps(r.toString()).length;
}

/**
 * The current selection inside container as {start, end, exact} in code
 * points, or null when nothing (or something outside) is selected.
 */
export function selectionIn(container) {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const r = sel.getRangeAt(0);
  if (!container.contains(r.startContainer) || !container.contains(r.endContainer)) return null;
  let start = offsetIn(container, r.startContainer, r.startOffset);
  let end = offsetIn(container, r.endContainer, r.endOffset);
  const text = cps(container.textContent);
  // Leading and trailing white space is not part of a quote.
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (start >= end) return null;
  return { start, end, exact: text.slice(start, end).join('') };
}

/**
 * The sentence around [start, end) in text: what accepting a suggestion
 * quotes. Sentences end at . ! ? followed by white space, or a line break.
 */
export function sentenceAround(text, start, end) {
  const chars = cps(text);
  let a = start;
  while (a > 0) {
    const c = chars[a - 1];
    if (c === '\n') break;
    if (/\s/.test(c) && a >= 2 && /[.!?]/.test(chars[a - 2])) break;
    a--;
  }
  let b = end;
  while (b < chars.length) {
    const c = chars[b];
    if (c === '\n') break;
    b++;
    if (/[.!?]/.test(c) && (b === chars.length || /\s/.test(chars[b]))) break;
  }
  while (a < b && /\s/.test(chars[a])) a++;
  return { start: a, end: b, exact: chars.slice(a, b).join('') };
}
