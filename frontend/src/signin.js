// Signing in and out: the only editing code in the reader's bundle. "Sign
// in" opens a form with the "Token" field; POST /session answers with a
// session cookie and a CSRF token; then the editor (./editor/index.js, a
// chunk of its own that readers never download) is loaded and started with
// ctx. A reload asks the server who it is (GET /session), but only in a
// browser that signed in before: a reader never makes that request.
import { h, setChildren } from './util.js';

const $ = (id) => document.getElementById(id);
const HINT = 'citemap:signed-in'; // localStorage: this browser signed in (no secret)

/**
 * Wires the sign-in chrome and returns {restore}: call restore() once the
 * map is ready, to resume a session the server still holds.
 * app: the app state (app.map, and app.session set here).
 * editing: {onFeaturePanel, openFeature, reloadLayers} for the editor's
 * ctx, whenReady (a promise: the page is ready) and status(message) for
 * what goes wrong outside the form.
 */
export function wireSignIn(app, editing) {
  const dialog = $('signin-dialog');
  const form = $('signin-form');
  const input = $('signin-token');
  const error = $('signin-error');
  const submit = $('signin-submit');
  const btnIn = $('btn-signin');
  const btnOut = $('btn-signout');
  const who = $('account-user');
  const toolbar = $('editor-toolbar');

  let csrf = ''; // the session's CSRF token, sent on every api() call
  let stop = null; // what the editor's start returned
  let unregister = []; // the editor's onFeaturePanel registrations
  let generation = 0; // bumped by every sign-in and sign-out: a late start is undone

  btnIn.addEventListener('click', () => {
    showError('');
    dialog.showModal();
    input.focus();
  });
  $('signin-close').addEventListener('click', () => dialog.close());
  // Focus goes back to the account's button: Sign in, or Sign out once signed in.
  dialog.addEventListener('close', () => (btnIn.hidden ? btnOut : btnIn).focus());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    signIn(input.value);
  });
  input.addEventListener('input', () => { if (!error.hidden) showError(''); });
  btnOut.addEventListener('click', () => signOut());

  function showError(msg) {
    error.textContent = msg;
    error.hidden = !msg;
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  async function signIn(token) {
    token = token.trim();
    if (!token) {
      showError('Enter your token.');
      input.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    let res;
    let body = null;
    try {
      res = await fetch('/session', {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ token }),
        credentials: 'same-origin',
        cache: 'no-store',
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      res = null;
      body = { detail: `The server could not be reached (${err.message}).` };
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
    if (res?.status === 401) {
      showError('Wrong token: this server does not know it, or it has been revoked.');
      input.select();
      return;
    }
    if (!res?.ok || !body?.user) {
      showError(`Signing in failed: ${body?.detail || body?.title || `HTTP ${res?.status}`}`);
      return;
    }
    remember(true);
    input.value = '';
    showError('');
    dialog.close();
    await begin(body);
  }

  async function signOut() {
    btnOut.disabled = true;
    try {
      await api('/session', { method: 'DELETE' });
    } catch (err) {
      // A session that has already ended is signed out all the same.
      if (err.problem?.status !== 401) {
        btnOut.disabled = false;
        editing.status(`Signing out failed: ${err.message}`);
        return;
      }
    }
    btnOut.disabled = false;
    end();
    btnIn.focus();
  }

  /** Signed in as {user, role, csrf_token}: the chrome, then the editor. */
  async function begin(session) {
    const gen = ++generation;
    csrf = session.csrf_token || '';
    const user = { name: String(session.user), role: String(session.role || '') };
    app.session = user;
    setChildren(who, h('span', { class: 'account-name' }, user.name), user.role ? h('span', { class: 'muted' }, ` (${user.role})`) : null);
    who.hidden = false;
    btnIn.hidden = true;
    btnOut.hidden = false;
    toolbar.hidden = false;
    document.documentElement.dataset.session = user.role || 'signed-in';
    await editing.whenReady; // the map (or the list, without WebGL) is final
    if (gen !== generation) return;
    const ctx = {
      map: app.map,
      user,
      api,
      toolbar,
      onFeaturePanel: (fn) => {
        const off = editing.onFeaturePanel(fn);
        unregister.push(off);
        return off;
      },
      openFeature: editing.openFeature,
      reloadLayers: editing.reloadLayers,
    };
    let stopper = null;
    try {
      addEditorStyles();
      const m = await import('./editor/index.js');
      if (gen !== generation) return;
      stopper = await m.start(ctx);
    } catch (err) {
      console.warn('editor:', err);
      if (gen === generation) editing.status(`The editor could not start: ${err.message}`);
      return;
    }
    if (gen !== generation) {
      // Signed out while the editor started.
      if (typeof stopper === 'function') stopper();
      return;
    }
    stop = typeof stopper === 'function' ? stopper : null;
    document.documentElement.dataset.editor = 'started';
  }

  /** Signed out: the editor removes what it added, the chrome goes back. */
  function end() {
    generation++;
    try {
      stop?.();
    } catch (err) {
      console.warn('editor stop:', err);
    }
    stop = null;
    for (const off of unregister) off();
    unregister = [];
    toolbar.replaceChildren();
    toolbar.hidden = true;
    removeEditorStyles();
    csrf = '';
    app.session = null;
    remember(false);
    who.replaceChildren();
    who.hidden = true;
    btnOut.hidden = true;
    btnIn.hidden = false;
    delete document.documentElement.dataset.session;
    delete document.documentElement.dataset.editor;
  }

  /**
   * api(path, {method, body, headers}) → parsed JSON (null for an empty
   * answer, text for one that is not JSON), with the CSRF header. A body
   * that is not a string, Blob, FormData or URLSearchParams is sent as JSON.
   * An error answer throws an Error whose message is the problem's detail
   * and whose .problem is the problem+json ({title, status, detail, ...}).
   */
  async function api(path, { method = 'GET', body, headers } = {}) {
    const hdrs = new Headers(headers || {});
    if (!hdrs.has('Accept')) hdrs.set('Accept', 'application/json');
    if (csrf) hdrs.set('X-CSRF-Token', csrf);
    let payload = body;
    if (body !== undefined && body !== null && typeof body !== 'string'
      && !(body instanceof Blob) && !(body instanceof FormData) && !(body instanceof URLSearchParams)) {
      payload = JSON.stringify(body);
      if (!hdrs.has('Content-Type')) hdrs.set('Content-Type', 'application/json');
    }
    let res;
    try {
      res = await fetch(path, { method, body: payload, headers: hdrs, credentials: 'same-origin', cache: 'no-store' });
    } catch (err) {
      throw problemError({ title: 'Network error', status: 0, detail: `The server could not be reached (${err.message}).` });
    }
    const type = res.headers.get('Content-Type') || '';
    const text = await res.text();
    let data = null;
    if (text && /[/+]json\b/.test(type)) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) {
      const problem = data && typeof data === 'object' ? data : { title: res.statusText || `HTTP ${res.status}`, detail: text.slice(0, 300) };
      if (problem.status === undefined) problem.status = res.status;
      throw problemError(problem);
    }
    if (data !== null) return data;
    return text && !/[/+]json\b/.test(type) ? text : null;
  }

  /** The editor's own style sheet, when it has one (the build names it). */
  function addEditorStyles() {
    const href = document.querySelector('meta[name="citemap:editor-css"]')?.getAttribute('content');
    if (!href || document.getElementById('editor-css')) return;
    document.head.appendChild(h('link', { rel: 'stylesheet', href, id: 'editor-css' }));
  }

  function removeEditorStyles() {
    document.getElementById('editor-css')?.remove();
  }

  /** Resumes a session the server still holds (asked only after a sign-in here). */
  async function restore() {
    if (!remembered()) return;
    let session;
    try {
      session = await api('/session');
    } catch (err) {
      console.warn('session:', err.message);
      return;
    }
    if (session?.user) await begin(session);
    else remember(false);
  }

  return { restore };
}

function problemError(problem) {
  const err = new Error(problem.detail || problem.title || `HTTP ${problem.status}`);
  err.problem = problem;
  return err;
}

function remembered() {
  try { return localStorage.getItem(HINT) === '1'; } catch { return false; }
}

function remember(on) {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch { /* storage off: a reload signs out of the page, not the server */ }
}
