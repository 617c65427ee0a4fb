// Signing in and out in a real browser against a real server with a user
// made by `mapserver user add`: the "Sign in" button, the "Token" form, the
// session cookie, the editor chunk loaded only after a sign-in and started
// with the ctx the editor relies on, and "Sign out".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, launch, newPage, openMap, shot, startServer } from './helpers.mjs';

let srv;
let browser;

before(async () => {
  srv = await startServer({ users: [{ name: 'ed', role: 'editor' }] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

const EDITOR_CHUNK = /\/assets\/editor-[A-Za-z0-9]+\.js$/;
const editorRequests = (rec) => rec.requests.filter((u) => EDITOR_CHUNK.test(u)).length;
const sessionRequests = (rec, from = 0) => rec.requests.slice(from).filter((u) => new URL(u).pathname === '/session').length;

/** Drops the errors a step provoked on purpose (status on path), asserting they happened. */
function expectErrors(rec, status, path) {
  const url = srv.base + path;
  const hit = (e) => e.includes(String(status)) && (e.includes(`${url} `) || e.endsWith(url) || e.includes(`(${url})`));
  assert.ok(rec.errors.some(hit), `expected an HTTP ${status} on ${path}; errors: ${rec.errors.join(' | ')}`);
  rec.errors = rec.errors.filter((e) => !hit(e));
}

async function signIn(page, token, { enter = false } = {}) {
  await page.getByRole('button', { name: 'Sign in' }).click();
  const field = page.getByLabel('Token');
  await field.fill(token);
  if (enter) await field.press('Enter');
  else await page.getByRole('dialog').getByRole('button', { name: 'Continue' }).click();
}

test('sign in: a wrong token is refused next to the field; the right one loads the editor, only then; a reload stays signed in; Sign out ends it', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/');
  assert.equal(editorRequests(rec), 0, 'a reader does not download the editor');
  assert.equal(sessionRequests(rec), 0, 'a reader does not ask for a session');
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'no Sign out before signing in');

  // A wrong token, with Enter: said next to the field, the form stays.
  await signIn(page, 'not-the-token', { enter: true });
  const error = page.locator('#signin-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /wrong token/i);
  const field = page.getByLabel('Token');
  assert.equal(await field.getAttribute('type'), 'password');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.equal(await field.getAttribute('aria-describedby'), 'signin-error');
  assert.ok(await page.evaluate(() => document.getElementById('signin-error').parentElement === document.getElementById('signin-token').parentElement),
    'the error is in the field\'s group');
  assert.ok(await page.getByRole('dialog').isVisible(), 'the form stays open');
  assert.equal(editorRequests(rec), 0, 'no editor after a wrong token');
  await shot(page, 'signin-wrong-token.png');
  expectErrors(rec, 401, '/session');

  // The right token, with the form's button.
  await field.fill(srv.tokens.ed);
  assert.equal(await error.isVisible(), false, 'typing clears the error');
  await page.getByRole('dialog').getByRole('button', { name: 'Continue' }).click();
  await page.waitForFunction(() => document.documentElement.dataset.editor === 'started');
  assert.equal(editorRequests(rec), 1, 'the editor chunk is loaded after the sign-in');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });
  assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0, 'Sign in is gone');
  assert.equal(await page.getByRole('dialog').count(), 0, 'the form closed');
  assert.equal(await page.locator('#account-user').textContent(), 'ed (editor)');
  const cookie = (await context.cookies()).find((c) => c.name === 'citemap_session');
  assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', `session cookie ${JSON.stringify(cookie)}`);
  assert.equal(await page.evaluate(() => document.cookie.includes('citemap_session')), false, 'scripts cannot read the session');
  assert.ok(!rec.requests.some((u) => u.includes(srv.tokens.ed)), 'the token is never in a URL');
  await shot(page, 'signin-signed-in.png');

  // A reload asks the server who it is and stays signed in.
  let from = rec.requests.length;
  await openMap(page, srv.base + '/');
  await page.waitForFunction(() => document.documentElement.dataset.editor === 'started');
  assert.equal(sessionRequests(rec, from), 1, 'the reload asked GET /session once');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });

  // Sign out: the server ends the session, the page is a reader's again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ state: 'visible' });
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.session ?? null), null);
  assert.equal((await context.cookies()).filter((c) => c.name === 'citemap_session').length, 0, 'the cookie is gone');
  const after = await fetch(srv.base + '/session', { headers: { Cookie: `citemap_session=${cookie.value}` } }).then((r) => r.json());
  assert.deepEqual(after, { user: null }, 'the server ended the session');
  from = rec.requests.length;
  await openMap(page, srv.base + '/');
  assert.equal(sessionRequests(rec, from), 0, 'after signing out, a reload asks nothing');
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ state: 'visible' });
  assertClean(assert, rec, srv.base);
  await context.close();
});

// What the editor chunk is replaced with in the next test: it records ctx,
// adds a toolbar button and a feature panel hook, and says when it stops.
const STAND_IN = `
export async function start(ctx) {
  const log = window.__editor = { ctx, panels: [], stopped: false };
  const btn = document.createElement('button');
  btn.type = 'button';
  btn.textContent = 'Test tool';
  ctx.toolbar.appendChild(btn);
  ctx.onFeaturePanel((p) => log.panels.push({ layer: p.layer, id: p.id, loaded: !!p.feature, body: p.element === document.getElementById('feature-body') }));
  return () => { btn.remove(); log.stopped = true; };
}`;

test('the editor gets ctx as agreed (map, user, api with CSRF and problem errors, toolbar, onFeaturePanel, openFeature, reloadLayers) and Sign out undoes it', async () => {
  const { page, context, rec } = await newPage(browser, srv.base);
  await page.route(EDITOR_CHUNK, (route) => route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: STAND_IN }));
  await openMap(page, srv.base + '/');
  await signIn(page, srv.tokens.ed);
  await page.waitForFunction(() => window.__editor && document.documentElement.dataset.editor === 'started');

  const got = await page.evaluate(async () => {
    const { ctx } = window.__editor;
    const out = {
      keys: Object.keys(ctx).sort(),
      user: ctx.user,
      map: ctx.map === window.citemap.map && !!ctx.map,
      toolbar: ctx.toolbar === document.querySelector('[role="toolbar"][aria-label="Editor"]'),
    };
    // A write with the session: api adds the CSRF header (a bare fetch is refused).
    out.bare = (await fetch('/changesets', { method: 'POST' })).status;
    out.changeset = await ctx.api('/changesets', { method: 'POST', body: { message: 'sign-in test' } });
    try {
      await ctx.api('/sources', { method: 'POST', body: { title: '' } });
      out.bad = null;
    } catch (err) {
      out.bad = { message: err.message, problem: err.problem };
    }
    out.unknown = await ctx.openFeature('bases', 'no-such-base');
    return out;
  });
  assert.deepEqual(got.keys, ['api', 'map', 'onFeaturePanel', 'openFeature', 'reloadLayers', 'toolbar', 'user']);
  assert.deepEqual(got.user, { name: 'ed', role: 'editor' });
  assert.ok(got.map, 'ctx.map is the page\'s map');
  assert.ok(got.toolbar, 'ctx.toolbar is the Editor toolbar');
  assert.equal(got.bare, 403, 'a cookie write without the CSRF header is refused');
  assert.ok(Number.isInteger(got.changeset?.id), `api returns the parsed answer: ${JSON.stringify(got.changeset)}`);
  assert.ok(got.bad, 'a refused write throws');
  assert.ok(got.bad.problem.status >= 400 && got.bad.problem.status < 500 && got.bad.problem.detail, `the error carries the problem: ${JSON.stringify(got.bad)}`);
  assert.equal(got.bad.message, got.bad.problem.detail, 'its message is the problem\'s detail');
  assert.equal(got.unknown, false, 'openFeature of an unknown feature says false');
  expectErrors(rec, 403, '/changesets');
  expectErrors(rec, got.bad.problem.status, '/sources');
  await page.getByRole('toolbar', { name: 'Editor' }).getByRole('button', { name: 'Test tool' }).waitFor({ state: 'visible' });

  // openFeature opens the panel; the hook hears it, with the loaded item.
  assert.equal(await page.evaluate(() => window.__editor.ctx.openFeature('bases', 'gyumri-102nd-base')), true);
  await page.waitForFunction(() => window.__editor.panels.some((p) => p.id === 'gyumri-102nd-base' && p.loaded));
  const panel = await page.evaluate(() => window.__editor.panels.at(-1));
  assert.deepEqual(panel, { layer: 'bases', id: 'gyumri-102nd-base', loaded: true, body: true });

  // reloadLayers: the same features again, the open panel shown again.
  const reloaded = await page.evaluate(async () => {
    const n = window.citemap.features.size;
    const seen = window.__editor.panels.length;
    await window.__editor.ctx.reloadLayers();
    return { before: n, after: window.citemap.features.size, panels: window.__editor.panels.length - seen, open: window.citemap.state.feature };
  });
  assert.equal(reloaded.after, reloaded.before, 'every feature is back after reloadLayers');
  assert.ok(reloaded.panels >= 1, 'the open panel rendered again');
  assert.equal(reloaded.open, 'bases/gyumri-102nd-base');

  // Sign out: stop runs, the toolbar empties, the hook is unregistered.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ state: 'visible' });
  const out = await page.evaluate(async () => {
    const seen = window.__editor.panels.length;
    const other = [...window.citemap.features.keys()].find((k) => k !== 'bases/gyumri-102nd-base');
    await window.citemap.selectFeature(other, { fly: false });
    const tb = document.getElementById('editor-toolbar');
    return { stopped: window.__editor.stopped, toolbar: tb.children.length, hidden: tb.hidden, calls: window.__editor.panels.length - seen };
  });
  assert.deepEqual(out, { stopped: true, toolbar: 0, hidden: true, calls: 0 });
  assertClean(assert, rec, srv.base);
  await context.close();
});
