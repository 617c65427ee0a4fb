// The map's first render, as a distribution instead of the browser test's
// one sample: ROUNDS first visits of / (a fresh server on the bundled data,
// a fresh chromium that has loaded its own pages, cache disabled, as
// map.test.mjs takes its figure), each build in turn, the order swapped
// every round. With MAPSERVER_REF the same run measures a reference build
// beside it: on a shared 2-core machine the same binary's median moved from
// 1.33 to 1.74 s within half an hour, so only figures taken side by side
// compare.
//
// Two figures: 'first-frame', when MapLibre has issued the first frame with
// every source loaded (the browser test's FIRST_RENDER), and
// 'first-frame-shown', the animation frame after it, which the browser
// begins only once that frame is committed to its compositor: with software
// GL, once the GPU process has drawn it and the canvas has been read back.
//
//   make build && node bench/first-render.mjs
//   MAPSERVER=bin/mapserver MAPSERVER_REF=/tmp/old/mapserver ROUNDS=12 node bench/first-render.mjs
//
// Bounded: FIRST_RENDER_TIMEOUT seconds (900) for the whole run; every wait
// inside is the browser tests' explicit signal (the server's "layers
// ready", the browser's own pages loaded, the app's ready, MapLibre's idle
// and the app's firstFrameShown). Nothing leaves 127.0.0.1:
// a request to any other origin fails the run.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { browserSettled, launch, mapIdle, newPage, openMap, repoRoot, startServer } from '../frontend/test/helpers.mjs';

const ROUNDS = Number(process.env.ROUNDS || 10);
const TIMEOUT_S = Number(process.env.FIRST_RENDER_TIMEOUT || 900);
// COLD=1: navigate as soon as the page exists, while the browser still
// loads its own pages (see browserSettled in the test helpers), as every
// figure before 2026-12-01 13:00 UTC was taken.
const COLD = process.env.COLD === '1';
const builds = [['citemap', resolve(process.env.MAPSERVER || join(repoRoot, 'bin', 'mapserver'))]];
if (process.env.MAPSERVER_REF) builds.push(['reference', resolve(process.env.MAPSERVER_REF)]);
for (const [name, bin] of builds) {
  if (!existsSync(bin)) throw new Error(`${name}: ${bin} is missing (make build)`);
}
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`ROUNDS=${process.env.ROUNDS}: a whole number of rounds, at least 1`);

const timer = setTimeout(() => {
  console.error(`first-render: stopped after ${TIMEOUT_S} s (FIRST_RENDER_TIMEOUT)`);
  process.exit(124);
}, TIMEOUT_S * 1000);
timer.unref();

/** One first visit of / on a fresh server and browser: the app's marks (ms since navigation). */
async function visit(bin) {
  process.env.MAPSERVER = bin; // startServer's binary
  const srv = await startServer();
  let browser;
  try {
    browser = await launch();
    await srv.ready();
    const { page, context, rec } = await newPage(browser, srv.base);
    if (!COLD) await browserSettled(browser);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await openMap(page, srv.base + '/');
    await mapIdle(page);
    // A build from before 'first-frame-shown' has no firstFrameShown: its
    // column stays empty.
    const marks = await page.evaluate(() => Promise.resolve(window.citemap.firstFrameShown).then(() => ({ ...window.citemap.marks, 'first-frame': window.citemap.firstRenderMs })));
    const away = rec.requests.filter((u) => !u.startsWith(srv.base) && !u.startsWith('data:') && !u.startsWith('blob:'));
    if (away.length) throw new Error(`requests left the origin: ${away.join(' ')}`);
    if (rec.errors.length) throw new Error(`errors on the page: ${rec.errors.join('; ')}`);
    await context.close();
    return marks;
  } finally {
    await browser?.close();
    await srv.stop();
  }
}

const MARKS = ['style-load', 'data', 'layers-added', 'first-frame', 'first-frame-shown', 'idle'];
const runs = new Map(builds.map(([name]) => [name, []]));
const load0 = loadavg()[0];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...builds].reverse() : builds;
  for (const [name, bin] of order) {
    const m = await visit(bin);
    runs.get(name).push(m);
    console.log(`round ${round + 1} ${name}: ${MARKS.map((k) => `${k}=${m[k]}`).join(' ')} load=${loadavg()[0].toFixed(1)}`);
  }
}

const median = (all) => {
  const s = all.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
console.log(`\nfirst visit of /, ${ROUNDS} rounds, ms since navigation (median, min-max); load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`);
console.log(`| build | ${MARKS.join(' | ')} |`);
console.log(`|---|${MARKS.map(() => '---').join('|')}|`);
for (const [name, list] of runs) {
  const cells = MARKS.map((k) => {
    const xs = list.map((m) => m[k]).filter(Number.isFinite);
    return xs.length ? `${median(xs)} (${Math.min(...xs)}-${Math.max(...xs)})` : '-';
  });
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
const ff = (name) => median(runs.get(name).map((m) => m['first-frame']));
const ref = runs.has('reference') ? ` reference_ms=${ff('reference')} ratio=${(ff('citemap') / ff('reference')).toFixed(3)}` : '';
const shown = (name) => median(runs.get(name).map((m) => m['first-frame-shown']));
const refShown = runs.has('reference') ? ` reference_shown_ms=${shown('reference')} shown_ratio=${(shown('citemap') / shown('reference')).toFixed(3)}` : '';
console.log(`RESULT first_frame_median_ms=${ff('citemap')}${ref} first_frame_shown_median_ms=${shown('citemap')}${refShown} rounds=${ROUNDS}${COLD ? ' cold=1' : ''}`);
