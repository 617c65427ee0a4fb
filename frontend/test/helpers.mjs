// Shared by the browser tests: a real mapserver on a free loopback port and
// Debian's chromium driven by playwright-core. Nothing here sleeps: the
// server is ready when it logs its listening line, the page when the app
// sets <html data-ready="1">.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const artifacts = join(here, '..', 'test-artifacts');
mkdirSync(artifacts, { recursive: true });

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT_MS = Number(process.env.BROWSER_WAIT_MS || 180_000);
export const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

function binary() {
  const bin = process.env.MAPSERVER || join(repoRoot, 'bin', 'mapserver');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`make build\` first`);
  return bin;
}

/**
 * Starts `mapserver serve` on 127.0.0.1:0 with a fresh database.
 * opts.imports: GeoJSON files to import (after the bundled data) first;
 * opts.dirs: data folders (sources/ + layers/) to import after those;
 * opts.users: [{name, role}] added with `mapserver user add` first.
 * → {base, tokens: {name → token}, stop(), log()}
 */
export async function startServer(opts = {}) {
  const bin = binary();
  const dir = mkdtempSync(join(tmpdir(), 'citemap-e2e-'));
  const db = join(dir, 'map.db');
  if (opts.imports?.length || opts.dirs?.length) {
    execFileSync(bin, ['import', join(repoRoot, 'data'), '--db', db], { stdio: 'pipe' });
    for (const { file, layer } of opts.imports || []) {
      execFileSync(bin, ['import', file, '--layer', layer, '--db', db], { stdio: 'pipe' });
    }
    for (const d of opts.dirs || []) execFileSync(bin, ['import', d, '--db', db], { stdio: 'pipe' });
  }
  const tokens = {};
  for (const { name, role } of opts.users || []) {
    // The token is the last line `user add` prints.
    const out = execFileSync(bin, ['user', 'add', name, '--role', role, '--db', db], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    tokens[name] = out.trim().split('\n').pop().trim();
  }
  const proc = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const base = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      stderr += chunk;
      const m = /msg=listening addr=(\S+)/.exec(stderr);
      if (m) resolve(`http://${m[1]}`);
    };
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`mapserver exited (${code}) before listening:\n${stderr}`)));
    proc.once('error', reject);
  });
  proc.stderr.on('data', (c) => { stderr += c; });
  // The server answers from its first line, but warms its layers for a
  // second or so after it (decoding them on the cores the browser needs);
  // ready() waits for the line that says it is done.
  const warmed = new Promise((resolve, reject) => {
    const check = () => {
      if (stderr.includes('msg="layers ready"')) resolve();
      else if (/msg="warming the layers failed"/.test(stderr)) reject(new Error(`warming failed:\n${stderr}`));
      else return false;
      proc.stderr.off('data', check);
      return true;
    };
    if (!check()) {
      proc.stderr.on('data', check);
      proc.once('exit', (code) => reject(new Error(`mapserver exited (${code}) before its layers were ready:\n${stderr}`)));
    }
  });
  warmed.catch(() => {}); // a test that never asks is not failed by it
  return {
    base,
    tokens,
    log: () => stderr,
    ready: () => warmed,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GETs a JSON resource of the server under test, failing on anything but 200. */
export async function serverJSON(base, path) {
  const res = await fetch(base + path, { headers: { Accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The server's collections (basemap left out) and its current data version. */
export async function serverCollections(base) {
  const body = await serverJSON(base, '/collections?f=json');
  if (!Number.isInteger(body.data_version)) throw new Error(`/collections has no data_version: ${JSON.stringify(body).slice(0, 200)}`);
  return { collections: body.collections.filter((c) => c.kind !== 'basemap'), version: body.data_version };
}

export async function launch(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROME_ARGS, ...extraArgs] });
}

/**
 * Resolves when the browser's own pages have loaded and gone idle. When
 * its first window opens, chromium (156, headless too) loads the WebUI of
 * its address bar's popup: two pages, chrome://omnibox-popup.top-chrome/,
 * about a second of CPU in a renderer of their own. A reader's browser did
 * that when it started; a first render measured in a browser started a
 * moment before shares two cores with it. Call it after the first newPage,
 * before the visit that is measured. The signal is each such page's load
 * event followed by an idle callback in it (an explicit signal, no sleep),
 * bounded by WAIT_MS; a browser without such pages resolves at once.
 */
export async function browserSettled(browser) {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const ui = targetInfos.filter((t) => t.type === 'browser_ui');
    let next = 0;
    await Promise.all(ui.map(async (t) => {
      // A session of the browser's own, not flattened: Playwright's
      // CDPSession cannot address a flattened child session.
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false });
      const id = ++next;
      const reply = new Promise((resolve) => {
        const on = (ev) => {
          if (ev.sessionId !== sessionId) return;
          const msg = JSON.parse(ev.message);
          if (msg.id !== id) return;
          cdp.off('Target.receivedMessageFromTarget', on);
          resolve(msg);
        };
        cdp.on('Target.receivedMessageFromTarget', on);
      });
      const expression = `new Promise((resolve) => {
        const idle = () => requestIdleCallback(() => resolve(document.readyState), { timeout: ${WAIT_MS} });
        if (document.readyState === 'complete') idle(); else addEventListener('load', idle, { once: true });
      })`;
      await cdp.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }),
      });
      let timer;
      const msg = await Promise.race([reply, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`browser page ${t.url}: not loaded and idle after ${WAIT_MS} ms`)), WAIT_MS);
      })]).finally(() => clearTimeout(timer));
      if (msg.error || msg.result?.exceptionDetails) throw new Error(`browser page ${t.url}: ${JSON.stringify(msg.error || msg.result.exceptionDetails)}`);
      await cdp.send('Target.detachFromTarget', { sessionId });
    }));
    return ui.map((t) => t.url);
  } finally {
    await cdp.detach();
  }
}

/**
 * A page that records every request, console error, console warning and
 * page error, and fails on any dialog (alert/confirm/prompt).
 */
export async function newPage(browser, base, { viewport = { width: 1280, height: 800 }, isMobile = false, hasTouch = false } = {}) {
  const context = await browser.newContext({ viewport, isMobile, hasTouch, deviceScaleFactor: 1 });
  // How long a wait for an explicit signal (ready, idle, a selector) may
  // take before it counts as never: long enough for a loaded 2-core machine
  // with software WebGL, where 30 s (Playwright's default) was not.
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const rec = { requests: [], errors: [], warnings: [], dialogs: [] };
  const page = await context.newPage();
  record(page, rec);
  return { page, context, rec, morePage: async () => record(await context.newPage(), rec) };
}

function record(page, rec) {
  page.on('request', (r) => rec.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') rec.errors.push(`console: ${m.text()} (${m.location()?.url || page.url()})`);
    if (m.type() === 'warning') rec.warnings.push(m.text());
  });
  page.on('response', (r) => { if (r.status() >= 400) rec.errors.push(`HTTP ${r.status()} ${r.url()}`); });
  page.on('pageerror', (e) => rec.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { rec.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  return page;
}

/**
 * Navigates and waits for the app's ready signal (no sleeping). The wait is
 * the app's citemap:ready event, not a predicate polled every animation
 * frame: that polling asks the page for a frame 60 times a second while the
 * map loads, and each one costs its renderer, compositor and GPU process
 * work on the cores the map loads with.
 */
export async function openMap(page, url) {
  await page.goto(url);
  await page.evaluate(() => document.documentElement.dataset.ready === '1'
    || new Promise((resolve) => addEventListener('citemap:ready', resolve, { once: true })));
}

/** Waits until the map has finished rendering everything it was asked to. */
export async function mapIdle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.citemap.map;
    if (!map) return resolve();
    if (map.loaded() && !map.isMoving()) {
      map.once('idle', resolve);
      map.triggerRepaint();
    } else map.once('idle', resolve);
  }));
}

/** Asserts no request left the origin and no error was logged. */
export function assertClean(assert, rec, base) {
  const foreign = rec.requests.filter((u) => !u.startsWith(base + '/') && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests left the origin');
  assert.deepEqual(rec.errors, [], 'console errors');
  assert.deepEqual(rec.dialogs, [], 'dialogs');
}

/**
 * A tiny static HTTP server on another loopback address (Linux routes all of
 * 127.0.0.0/8 to lo), standing in for a news site that embeds the map.
 * pages: Map(path → {type, body}), changeable after start. → {base, pages, close()}
 */
export async function startHost(host = '127.0.0.2') {
  const pages = new Map();
  const server = createServer((req, res) => {
    const p = pages.get(new URL(req.url, 'http://x').pathname);
    if (!p) { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not found'); return; }
    res.writeHead(200, { 'Content-Type': p.type, 'Cache-Control': 'no-store' });
    res.end(p.body);
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, host, resolve); });
  const { port } = server.address();
  return {
    base: `http://${host}:${port}`,
    pages,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/** Records every message a page receives (for the embed's postMessage). */
export const RECORDER_JS = "window.__msgs=[];window.addEventListener('message',function(e){window.__msgs.push({origin:e.origin,data:e.data});});";

export function shot(page, name) {
  return page.screenshot({ path: join(artifacts, name) });
}
