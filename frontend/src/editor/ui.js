// Form helpers shared by the editor's views. Everything from the server or
// the editor's input is inserted as text (util.h), never as HTML.
import { h } from '../util.js';

let seq = 0;
/** A unique element id for a label's `for`. */
export function uid(prefix) {
  seq += 1;
  return `ed-${prefix}-${seq}`;
}

/** A labelled field: <label for> + control, inside a .ed-field wrapper. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const hintEl = hint ? h('span', { class: 'ed-hint small muted', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'ed-field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A <select> with [value, label] options. */
export function select(name, options, value) {
  return h('select', { name }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
}

/**
 * The message area of a form: a problem's detail (and each named problem),
 * or a plain message. role=alert so screen readers hear it.
 */
export function messageArea() {
  const el = h('div', { class: 'ed-message', role: 'alert', hidden: true });
  return {
    el,
    clear() { el.replaceChildren(); el.hidden = true; el.className = 'ed-message'; },
    error(err, lead) {
      el.replaceChildren();
      el.className = 'ed-message ed-error';
      const p = err?.problem;
      const detail = p?.detail || p?.title || err?.message || String(err);
      el.append(h('p', null, lead ? `${lead}: ` : '', detail));
      const list = Array.isArray(p?.problems) ? p.problems : [];
      if (list.length > 1) el.append(h('ul', null, list.map((x) => h('li', null, [x.id, x.message].filter(Boolean).join(': ')))));
      el.hidden = false;
    },
    info(text) {
      el.replaceChildren(h('p', null, text));
      el.className = 'ed-message ed-info';
      el.hidden = false;
    },
  };
}

/**
 * A form in a modal dialog, as the editor's forms are: a title, the fields,
 * a message area, the save button and Cancel. Cancel or Escape closes it
 * (onClose runs first). onSubmit({msg, close}) runs with the save button
 * disabled; an error it throws is shown as "Not saved: …". While it is
 * open, leaving the page asks first. → {dlg, form, msg, close}
 */
export function formDialog(ed, { kind, title, saveLabel, fields, onSubmit, onClose }) {
  const titleId = uid(kind);
  const msg = messageArea();
  const save = h('button', { type: 'submit', class: 'primary' }, saveLabel);
  const cancel = h('button', { type: 'button', class: 'toggle' }, 'Cancel');
  const form = h('form', { class: 'ed-form', novalidate: true }, fields, msg.el, h('div', { class: 'ed-actions' }, save, cancel));
  const dlg = h('dialog', { class: 'dialog ed-dialog', 'aria-labelledby': titleId, dataset: { form: kind } },
    h('div', { class: 'panel-head' }, h('h2', { id: titleId }, title)), form);
  const undirty = ed.dirty.add({ isDirty: () => dlg.open });
  const close = () => {
    undirty();
    onClose?.();
    dlg.close();
    dlg.remove();
  };
  cancel.addEventListener('click', close);
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.clear();
    save.disabled = true;
    try {
      await onSubmit({ msg, close });
    } catch (err) {
      msg.error(err, 'Not saved');
    } finally {
      save.disabled = false;
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  return { dlg, form, msg, close };
}

/** "2 Dec 2026, 10:04" in the reader's locale, UTC shown. */
export function when(t) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t || '');
  return d.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }) + ' UTC';
}

/** Code points of a string (the server counts offsets in code points). */
export const cps = (s) => Array.from(String(s ?? ''));

/**
 * Dirty tracking: forms register here while they hold typed input that is
 * not saved; leaving the page then asks first.
 */
export function dirtyTracker() {
  const forms = new Set();
  const onBeforeUnload = (e) => {
    if (![...forms].some((f) => f.isDirty())) return;
    e.preventDefault();
    e.returnValue = '';
  };
  window.addEventListener('beforeunload', onBeforeUnload);
  return {
    add(form) { forms.add(form); return () => forms.delete(form); },
    any: () => [...forms].some((f) => f.isDirty()),
    stop() { window.removeEventListener('beforeunload', onBeforeUnload); forms.clear(); },
  };
}

/** "a; b ;c" → ['a', 'b', 'c']. */
export function splitList(s, sep = ';') {
  return String(s ?? '').split(sep).map((x) => x.trim()).filter(Boolean);
}
