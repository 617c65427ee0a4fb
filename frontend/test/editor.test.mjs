// The editor's whole path on a real server and a real browser: an editor
// signs in, pastes an article that is not in data/, sees the places it
// mentions, cites a selection for an existing feature, draws a new feature
// with its citation and submits; a reviewer sees the diff and publishes;
// an anonymous reader then sees the new quote and the new feature, and an
// embed pinned to the earlier version does not change. No sleeps: every
// wait is on an explicit signal (data-ready, data-editor, data-last).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertClean, launch, newPage, openMap, serverCollections, serverJSON, shot, startServer } from './helpers.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const ARTICLE = readFileSync(join(here, 'fixtures', 'editor-article.txt'), 'utf8');
const GYUMRI = 'bases/gyumri-102nd-base';
const CITE_GYUMRI = 'In Gyumri, the commander of the Russian garrison told reporters that the base would keep its present strength through the winter.';
const CITE_ROAD = 'Survey teams drove the planned road from Nakhichevan through Siunik to the Iranian border last week, local officials said.';
const ROAD = 'Nakhchivan–Syunik survey road';
const NAKHCHIVAN = [45.41222, 39.20889];
const MEGHRI = [46.24458, 38.90292];

let srv;
let browser;
let tokens;

before(async () => {
  srv = await startServer({ users: [{ name: 'alice', role: 'editor' }, { name: 'rita', role: 'reviewer' }] });
  tokens = { editor: srv.tokens.alice, reviewer: srv.tokens.rita };
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

/** Signs in through the "Sign in" form and waits for the editor to start. */
async function signIn(page, token) {
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Token').fill(token);
  await page.getByLabel('Token').press('Enter');
  await page.waitForFunction(() => document.documentElement.dataset.editor === 'started');
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForFunction(() => document.documentElement.dataset.editor === undefined);
}

/** Selects a phrase of the reader's text, as a mouse drag would. */
async function selectPhrase(page, phrase) {
  await page.evaluate((phrase) => {
    const root = document.getElementById('ed-text');
    const at = root.textContent.indexOf(phrase);
    if (at < 0) throw new Error(`not in the text: ${phrase}`);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let pos = 0;
    let start = null;
    let end = null;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const len = n.data.length;
      if (!start && at < pos + len) start = [n, at - pos];
      if (!end && at + phrase.length <= pos + len) { end = [n, at + phrase.length - pos]; break; }
      pos += len;
    }
    const r = document.createRange();
    r.setStart(...start);
    r.setEnd(...end);
    const sel = document.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
  }, phrase);
}

/**
 * Waits until the map has drawn what it was asked to, polling (with the
 * wait's timeout) rather than waiting for an 'idle' event that a map kept
 * repainting never fires.
 */
function settled(page) {
  return page.waitForFunction(() => {
    const m = window.citemap.map;
    return !m || (m.loaded() && !m.isMoving() && m.areTilesLoaded());
  });
}

/** Puts the caret just before a phrase of the reader's text, focused. */
async function caretBefore(page, phrase) {
  await page.evaluate((phrase) => {
    const root = document.getElementById('ed-text');
    const at = root.textContent.indexOf(phrase);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let pos = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (at < pos + n.data.length) {
        root.focus();
        document.getSelection().collapse(n, at - pos);
        return;
      }
      pos += n.data.length;
    }
    throw new Error(`not in the text: ${phrase}`);
  }, phrase);
}

/** Waits until the editor reports a write, by its signal prefix. */
function lastIs(page, prefix) {
  return page.waitForFunction((p) => (document.getElementById('editor-panel')?.dataset.last || '').startsWith(p), prefix);
}

/** The page position of a lon/lat on the map. */
async function mapPoint(page, lonlat) {
  return page.evaluate((ll) => {
    const p = window.citemap.map.project(ll);
    const r = window.citemap.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, lonlat);
}

test('an article becomes a published, cited feature: editor, reviewer, reader, pinned embed', async () => {
  const t0 = Date.now();
  const before = await serverCollections(srv.base);
  const v0 = before.version;
  const { page, context, rec } = await newPage(browser, srv.base, { viewport: { width: 1400, height: 900 } });
  await openMap(page, srv.base + '/');
  // Readers never download the editor.
  assert.equal(rec.requests.filter((u) => /\/assets\/(editor|chunk-editor)/.test(u)).length, 0, 'the editor chunk is not loaded before sign-in');

  // A wrong token says so next to the field.
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Token').fill('not-a-token');
  await page.getByLabel('Token').press('Enter');
  await page.waitForFunction(() => /not accepted|Wrong token/.test(document.getElementById('signin-error')?.textContent || ''));
  await page.keyboard.press('Escape');
  await page.waitForSelector('#signin-dialog:not([open])', { state: 'attached' });

  // 1. The editor signs in and adds the article.
  await signIn(page, tokens.editor);
  assert.ok(rec.requests.some((u) => /\/assets\/editor-[^/]+\.js$/.test(u)), 'the editor chunk is loaded after sign-in');
  await page.getByRole('button', { name: 'Add source' }).click();
  await page.getByLabel('Title', { exact: true }).fill('Road survey reaches the Iranian border');
  await page.getByLabel('Publisher', { exact: true }).fill('Test Desk');
  await page.getByLabel('Article text', { exact: true }).fill(ARTICLE);
  await shot(page, 'editor-1-add-source.png');
  // Leaving with typed, unsaved input asks first (the beforeunload handler
  // cancels the event); once saved it does not.
  const leaving = () => page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });
  assert.equal(await leaving(), true, 'unsaved input: leaving asks first');
  await page.getByRole('button', { name: 'Save source' }).click();
  await page.waitForSelector('#ed-reader[data-ready="1"]');
  assert.equal(await leaving(), false, 'nothing unsaved: leaving does not ask');

  // 2. The places it mentions are marked, with their candidates.
  const marked = await page.$$eval('#ed-text mark[data-suggestion]', (ms) => ms.map((m) => m.textContent));
  for (const place of ['Nakhichevan', 'Siunik', 'Gyumri', 'Meghri']) assert.ok(marked.includes(place), `${place} is suggested (got ${marked})`);
  const gyumriItem = page.locator('.ed-suggestion', { hasText: '“Gyumri”' });
  assert.ok(await gyumriItem.locator(`li[data-feature="${GYUMRI}"]`).count() === 1, 'Gyumri offers the base as a candidate');
  await shot(page, 'editor-2-reader-suggestions.png');
  // Dismissing a suggestion unmarks it; accepting one opens the cite form
  // with its feature and the sentence around the place.
  await page.getByRole('button', { name: 'Dismiss “Kapan”' }).click();
  await page.waitForFunction(() => ![...document.querySelectorAll('#ed-text mark[data-suggestion]')].some((m) => m.textContent === 'Kapan'));
  // A dismissed suggestion stays dismissed after a reload (the session
  // resumes; the source is opened again).
  const sourceID = await page.getAttribute('#ed-reader', 'data-source');
  await openMap(page, srv.base + '/');
  await page.waitForFunction(() => document.documentElement.dataset.editor === 'started');
  await page.evaluate((id) => window.citemapEditor.openSource(id), sourceID);
  await page.waitForSelector('#ed-reader[data-ready="1"]');
  const remarked = await page.$$eval('#ed-text mark[data-suggestion]', (ms) => ms.map((m) => m.textContent));
  assert.ok(!remarked.includes('Kapan') && remarked.includes('Gyumri'), `after a reload Kapan stays dismissed (marked: ${remarked})`);
  assert.equal(await page.getByRole('button', { name: 'Dismiss “Kapan”' }).count(), 0, 'nor is it listed');
  // "New feature here" places a point at the gazetteer's coordinates, named
  // as the gazetteer names it; with two point layers the form asks which.
  const meghri = page.locator('.ed-suggestion', { hasText: '“Meghri”' });
  await meghri.getByRole('button', { name: /^New feature at Meghri/ }).click();
  const here = page.locator('dialog[data-form="feature"]');
  await here.waitFor();
  assert.match(await here.textContent(), /A point at 38\.90\d*, 46\.24\d*/);
  assert.equal(await here.getByLabel('Name', { exact: true }).inputValue(), 'Meghri');
  assert.match(await here.getByLabel('Coordinates from', { exact: true }).inputValue(), /GeoNames/i);
  assert.equal(await here.getByLabel('Layer', { exact: true }).inputValue(), '', 'no layer is chosen for the editor');
  await here.getByRole('button', { name: 'Save feature' }).click();
  await here.locator('.ed-message.ed-error').waitFor();
  assert.match(await here.locator('.ed-message').textContent(), /Choose the layer/);
  await here.getByRole('button', { name: 'Cancel' }).click();
  await here.waitFor({ state: 'detached' });
  await gyumriItem.getByRole('button', { name: /^Accept Russian 102nd Military Base/ }).click();
  const accepted = page.locator('dialog[data-form="cite"]');
  await accepted.waitFor();
  assert.equal((await accepted.locator('.ed-quote').textContent()).trim(), CITE_GYUMRI);
  assert.equal(await accepted.getByRole('combobox', { name: 'Feature' }).getAttribute('data-key'), GYUMRI);
  await accepted.getByRole('button', { name: 'Cancel' }).click();
  await accepted.waitFor({ state: 'detached' });

  // 3. Cite a selection for an existing feature, choosing it in the combobox
  // by an alias. The selection is made with the keyboard: the caret before
  // the sentence (as a click puts it), then Shift+ArrowRight to its end.
  await caretBefore(page, CITE_GYUMRI);
  const selected = () => page.evaluate(() => document.getSelection().toString());
  for (let i = 0; i < [...CITE_GYUMRI].length + 10 && (await selected()) !== CITE_GYUMRI; i++) await page.keyboard.press('Shift+ArrowRight');
  assert.equal(await selected(), CITE_GYUMRI, 'Shift+arrows select the sentence');
  // Typing does not change the source's text.
  await page.keyboard.press('x');
  assert.ok((await page.textContent('#ed-text')).includes(CITE_GYUMRI), 'the text is unchanged');
  await page.getByRole('button', { name: 'Cite selection' }).click();
  const cite = page.locator('dialog[data-form="cite"]');
  await cite.waitFor();
  assert.equal((await cite.locator('.ed-quote').textContent()).trim(), CITE_GYUMRI);
  const combo = cite.getByRole('combobox', { name: 'Feature' });
  await combo.fill('102nd');
  await cite.getByRole('option', { name: /Russian 102nd Military Base, Gyumri/ }).waitFor();
  await combo.press('ArrowDown');
  await combo.press('Enter');
  assert.equal(await combo.getAttribute('data-key'), GYUMRI);
  // Inferred without a note is refused in the form, and what was typed stays.
  await cite.getByRole('radio', { name: /inferred/ }).check();
  await cite.getByRole('button', { name: 'Save claim' }).click();
  await cite.locator('.ed-message.ed-error').waitFor();
  assert.match(await cite.locator('.ed-message').textContent(), /needs a note/);
  assert.equal(await combo.inputValue(), 'Russian 102nd Military Base, Gyumri');
  await cite.getByRole('radio', { name: /explicit/ }).check();
  await cite.getByLabel('Aspect', { exact: true }).fill('status');
  await shot(page, 'editor-3-cite.png');
  await cite.getByRole('button', { name: 'Save claim' }).click();
  await lastIs(page, `claim:${GYUMRI}:`);
  await page.waitForSelector('#ed-text mark.ed-passage, #ed-text mark.ed-in-passage');

  // 4. Draw a new feature for another quote: a line from Nakhchivan to Meghri.
  await selectPhrase(page, CITE_ROAD);
  await page.getByRole('button', { name: 'Cite selection' }).click();
  await cite.waitFor();
  await cite.getByRole('button', { name: 'Draw a new feature for this quote' }).click();
  await page.evaluate(() => window.citemap.map.jumpTo({ center: [45.9, 39.05], zoom: 7.5 }));
  await settled(page);
  await page.getByRole('button', { name: 'Line' }).click();
  // Clicks that place vertices open no feature panel, even over a feature
  // (the first vertex lies on the Nakhchivan border's country, the second
  // on Meghri's).
  const panelBefore = await page.getAttribute('#feature-panel', 'data-feature');
  for (const ll of [NAKHCHIVAN, MEGHRI]) {
    const p = await mapPoint(page, ll);
    await page.mouse.click(p.x, p.y);
  }
  await page.getByRole('button', { name: 'Finish shape' }).click();
  const form = page.locator('dialog[data-form="feature"]');
  await form.waitFor();
  assert.equal(await page.getAttribute('#feature-panel', 'data-feature'), panelBefore, 'drawing opened no feature panel');
  assert.equal(await page.isHidden('#feature-panel'), true, 'the feature panel stays closed while drawing');
  // A line is not silently a border: the form asks for the layer.
  assert.equal(await form.getByLabel('Layer', { exact: true }).inputValue(), '', 'a new line has no layer until the editor chooses');
  await form.getByLabel('Layer', { exact: true }).selectOption('corridors');
  await form.getByLabel('Name', { exact: true }).fill(ROAD);
  await form.getByLabel('Status', { exact: true }).fill('surveyed');
  await form.getByLabel('Location precision', { exact: true }).selectOption('region');
  await form.getByLabel('Coordinates from', { exact: true }).fill('Drawn between the GeoNames points of Nakhchivan (147429) and Meghri (174823)');
  await shot(page, 'editor-4-new-feature.png');
  await form.getByRole('button', { name: 'Save feature' }).click();
  await lastIs(page, 'feature:corridors/');
  const roadKey = (await page.getAttribute('#editor-panel', 'data-last')).replace(/^feature:/, '');
  // The next line defaults to the layer the editor last used for a line.
  await page.getByRole('button', { name: 'Draw feature' }).click();
  await page.getByRole('button', { name: 'Line' }).click();
  for (const ll of [MEGHRI, NAKHCHIVAN]) {
    const p = await mapPoint(page, ll);
    await page.mouse.click(p.x, p.y);
  }
  await page.getByRole('button', { name: 'Finish shape' }).click();
  await form.waitFor();
  assert.equal(await form.getByLabel('Layer', { exact: true }).inputValue(), 'corridors', 'the last layer used for a line');
  await form.getByRole('button', { name: 'Cancel' }).click();
  await form.waitFor({ state: 'detached' });

  // 4b. Move the Gyumri base's point a little: "Edit geometry" in its panel.
  await page.evaluate((k) => { location.hash = `feature=${k}`; }, GYUMRI);
  await page.waitForSelector(`#feature-panel[data-feature="${GYUMRI}"][data-loaded="1"] .ed-history`);
  await page.getByRole('button', { name: 'Edit geometry' }).click();
  await page.waitForSelector('.ed-geom[data-ready="1"]');
  // Not mapIdle: terra-draw's select mode keeps the map repainting.
  await page.waitForFunction(() => !window.citemap.map.isMoving());
  const from = await mapPoint(page, await page.evaluate((k) => window.citemap.features.get(k).geometry.coordinates, GYUMRI));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(from.x + 6 * i, from.y + 4 * i);
  await page.mouse.up();
  await page.getByRole('button', { name: 'Save geometry' }).click();
  await lastIs(page, `geometry:${GYUMRI}`);
  await shot(page, 'editor-4b-move-vertex.png');

  // 5. Changes: both edits, nothing lacking a claim; submit for review.
  await page.getByRole('button', { name: 'Changes' }).click();
  await page.waitForSelector('#ed-changes[data-ready="1"]');
  const keys = await page.$$eval('#ed-changes .ed-diff', (ds) => ds.map((d) => `${d.dataset.key} ${d.dataset.op}`));
  assert.deepEqual(keys.sort(), [`${GYUMRI} replace`, `${roadKey} create`].sort());
  assert.equal(await page.locator('#ed-changes [data-lacking]').count(), 0, 'every feature has an explicit supporting claim');
  assert.match(await page.textContent(`#ed-changes .ed-diff[data-key="${GYUMRI}"]`), /Geometry moved/);
  assert.equal(await page.getByRole('button', { name: 'Publish' }).count(), 0, 'an editor cannot publish');
  await page.getByLabel('Message', { exact: true }).fill('Road survey article: Gyumri garrison status, new survey road');
  await page.getByRole('button', { name: 'Submit for review' }).click();
  await lastIs(page, 'submitted:');
  assert.equal(await page.getAttribute('#ed-changes .ed-changeset', 'data-state'), 'submitted');
  await shot(page, 'editor-5-changes-submitted.png');
  await signOut(page);
  const editorDone = Date.now();

  // 6. The reviewer sees the diff on the map and publishes.
  await signIn(page, tokens.reviewer);
  await page.getByRole('button', { name: 'Changes' }).click();
  await page.waitForSelector('#ed-changes[data-ready="1"]');
  const cs = page.locator('#ed-changes .ed-changeset').first();
  assert.match(await cs.textContent(), /by alice/);
  // Submitted changesets come first, under their own heading.
  assert.equal(await page.getAttribute('#ed-changes .ed-group', 'data-group'), 'submitted');
  assert.equal(await cs.getAttribute('data-state'), 'submitted');
  assert.match(await cs.textContent(), /Submitted for review/);
  assert.match(await cs.locator(`.ed-diff[data-key="${GYUMRI}"]`).textContent(), /\+ claim.*In Gyumri, the commander/s);
  assert.match(await cs.locator(`.ed-diff[data-key="${roadKey}"]`).textContent(), new RegExp(`${ROAD}.*create`, 's'));
  assert.equal(await page.evaluate(() => window.citemap.map.getSource('editor-diff')._data?.features?.length ?? window.citemap.map.querySourceFeatures('editor-diff').length) > 0, true, 'the diff is drawn');
  await settled(page);
  await shot(page, 'editor-6-review-diff.png');
  await cs.getByRole('button', { name: 'Publish' }).click();
  await lastIs(page, 'published:');
  const [, publishedID, publishedVersion] = (await page.getAttribute('#editor-panel', 'data-last')).split(':');
  const v1 = Number(publishedVersion);
  assert.ok(v1 > v0, `a new data version (${v1} > ${v0})`);

  // The feature panel's history, for a signed-in user.
  await page.evaluate((k) => window.citemap.selectFeature(k), GYUMRI);
  await page.waitForSelector('#feature-body .ed-history[data-ready="1"]');
  const hist = await page.textContent('#feature-body .ed-history');
  assert.match(hist, new RegExp(`Version ${v1}`));
  assert.match(hist, /by alice, published by rita/);
  assert.match(hist, /Road survey article/);
  await page.locator('#feature-body .ed-history').scrollIntoViewIfNeeded();
  await shot(page, 'editor-7-history.png');
  await signOut(page);
  const published = Date.now();

  // 7. An anonymous reader sees the new quote and the new feature.
  const anon = await newPage(browser, srv.base, { viewport: { width: 1400, height: 900 } });
  await openMap(anon.page, `${srv.base}/#feature=${GYUMRI}`);
  await anon.page.waitForSelector(`#feature-panel[data-feature="${GYUMRI}"][data-loaded="1"]`);
  assert.ok((await anon.page.textContent('#feature-body')).includes(CITE_GYUMRI), 'the new quote is in the panel');
  assert.equal(await anon.page.locator('#feature-body .ed-history').count(), 0, 'readers get no history section');
  assert.ok(await anon.page.evaluate((k) => window.citemap.features.has(k), roadKey), 'the new feature is on the map');
  await anon.page.evaluate((k) => window.citemap.selectFeature(k), roadKey);
  await anon.page.waitForSelector(`#feature-panel[data-feature="${roadKey}"][data-loaded="1"]`);
  assert.ok((await anon.page.textContent('#feature-body')).includes(CITE_ROAD), 'the new feature cites its quote');
  await settled(anon.page);
  await shot(anon.page, 'editor-8-reader.png');
  assert.equal(anon.rec.requests.filter((u) => /\/assets\/editor-/.test(u)).length, 0, 'a reader never loads the editor');
  assertClean(assert, anon.rec, srv.base);

  // 8. An embed pinned to the earlier version does not change.
  await openMap(anon.page, `${srv.base}/embed?v=${v0}&feature=${GYUMRI}`);
  await anon.page.waitForSelector(`#feature-panel[data-feature="${GYUMRI}"][data-loaded="1"]`);
  assert.ok(!(await anon.page.textContent('#feature-body')).includes(CITE_GYUMRI), 'the pinned embed shows the old evidence');
  assert.equal(await anon.page.evaluate((k) => window.citemap.features.has(k), roadKey), false, 'the pinned embed has no new feature');
  await shot(anon.page, 'editor-9-pinned-embed.png');
  await anon.context.close();

  // The server agrees.
  const pinned = await serverJSON(srv.base, `/collections/bases/items/gyumri-102nd-base?f=json&v=${v0}`);
  assert.ok(!pinned.evidence.some((e) => e.exact === CITE_GYUMRI));

  // 9. The reviewer reverts the changeset: a new version without the road
  // and without the new quote.
  await signIn(page, tokens.reviewer);
  await page.getByRole('button', { name: 'Changes' }).click();
  await page.waitForSelector('#ed-changes[data-ready="1"]');
  const entry = page.locator(`#ed-changes .ed-published li[data-changeset="${publishedID}"]`);
  await entry.getByRole('button', { name: `Revert changeset ${publishedID}` }).click();
  await entry.locator('.ed-message:not([hidden])').waitFor();
  assert.match(await entry.locator('.ed-message').textContent(), /Reverted: changeset \d+ published the inverse as data version \d+/);
  const road = await fetch(`${srv.base}/collections/${roadKey.replace('/', '/items/')}?f=json`, { headers: { Accept: 'application/json' } });
  assert.equal(road.status, 404, 'the reverted road is gone');
  const reverted = await serverJSON(srv.base, '/collections/bases/items/gyumri-102nd-base?f=json');
  assert.ok(!reverted.evidence.some((e) => e.exact === CITE_GYUMRI), 'the reverted quote is gone');
  assert.ok((await serverCollections(srv.base)).version > v1, 'the revert is a new data version');
  await signOut(page);

  // Only the expected refusal (the wrong token) reached the network log.
  const errors = rec.errors.filter((e) => !/(HTTP 401|status of 401).*\/session\)?$/.test(e));
  assert.deepEqual(errors, [], 'console errors');
  assert.deepEqual(rec.dialogs, [], 'dialogs');
  await context.close();
  console.log(`editor path: editor ${((editorDone - t0) / 1000).toFixed(1)} s, to published ${((published - t0) / 1000).toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
