// Builds frontend/glyphs/: the web map's label glyphs as MapLibre glyph PBFs
// ({fontstack}/{start}-{end}.pbf, 256 codepoints a file), so the map fetches
// ready signed-distance glyphs instead of drawing each one from a font file on
// the page's main thread when it first needs it.
//
// The glyphs are drawn by TinySDF (the rasterizer MapLibre itself uses for
// local fonts) in Debian's chromium, from the Noto Sans files the page's text
// uses (@fontsource/noto-sans, OFL): the latin and latin-ext subsets, every
// codepoint their character maps hold, at MapLibre's glyph-PBF size (24 px,
// a 3-pixel border, radius 8). Metrics follow the PBF convention: integers,
// `top` from an origin 27 px above the baseline.
//
// The output is committed; the Go binary embeds it. Re-run with
//   cd tools/glyphs && npm ci && node build.mjs
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { PbfWriter } from 'pbf';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../../frontend/glyphs');
const fontDir = join(here, 'node_modules/@fontsource/noto-sans/files');

// The style's font stacks (frontend/src/mapstyle.js FONT, FONT_BOLD).
const STACKS = {
  'Noto Sans Regular': 400,
  'Noto Sans Bold': 700,
};
const SUBSETS = ['latin', 'latin-ext'];

// MapLibre's glyph PBF geometry (src/style/parse_glyph_pbf.ts: border 3)
// and the TinySDF settings MapLibre drew 1x local glyphs with.
const SIZE = 24;
const BORDER = 3;
const RADIUS = 8;
const CUTOFF = 0.25;
const TOP = 27;

/** The codepoints a WOFF 1.0 file's character map assigns a glyph. */
export function woffCodepoints(buf) {
  if (buf.toString('latin1', 0, 4) !== 'wOFF') throw new Error('not a WOFF 1.0 file');
  const numTables = buf.readUInt16BE(12);
  let cmap;
  for (let i = 0; i < numTables; i++) {
    const e = 44 + i * 20;
    if (buf.toString('latin1', e, e + 4) !== 'cmap') continue;
    const off = buf.readUInt32BE(e + 4);
    const comp = buf.readUInt32BE(e + 8);
    const orig = buf.readUInt32BE(e + 12);
    const raw = buf.subarray(off, off + comp);
    cmap = comp < orig ? inflateSync(raw) : raw;
  }
  if (!cmap) throw new Error('no cmap table');
  const cps = new Set();
  const n = cmap.readUInt16BE(2);
  for (let i = 0; i < n; i++) {
    const platform = cmap.readUInt16BE(4 + i * 8);
    const encoding = cmap.readUInt16BE(6 + i * 8);
    const t = cmap.readUInt32BE(8 + i * 8);
    const format = cmap.readUInt16BE(t);
    if (platform === 3 && encoding === 10 && format === 12) {
      const groups = cmap.readUInt32BE(t + 12);
      for (let g = 0; g < groups; g++) {
        const p = t + 16 + g * 12;
        const start = cmap.readUInt32BE(p);
        const end = cmap.readUInt32BE(p + 4);
        const gid = cmap.readUInt32BE(p + 8);
        for (let c = start; c <= end; c++) if (gid + c - start) cps.add(c);
      }
    } else if (platform === 3 && encoding === 1 && format === 4) {
      const segX2 = cmap.readUInt16BE(t + 6);
      const ends = t + 14;
      const starts = ends + segX2 + 2;
      const deltas = starts + segX2;
      const ranges = deltas + segX2;
      for (let s = 0; s < segX2 / 2; s++) {
        const end = cmap.readUInt16BE(ends + 2 * s);
        const start = cmap.readUInt16BE(starts + 2 * s);
        const delta = cmap.readInt16BE(deltas + 2 * s);
        const ro = cmap.readUInt16BE(ranges + 2 * s);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let gid;
          if (ro === 0) gid = (c + delta) & 0xffff;
          else {
            const g = cmap.readUInt16BE(ranges + 2 * s + ro + 2 * (c - start));
            gid = g === 0 ? 0 : (g + delta) & 0xffff;
          }
          if (gid) cps.add(c);
        }
      }
    }
  }
  return cps;
}

// Runs in the page: draws every codepoint with the subset file that holds it.
async function drawAll({ faces, tinySDF, size, border, radius, cutoff }) {
  // The module's source as a function body that returns the class (the
  // helpers declared after it are hoisted).
  const TinySDF = new Function(tinySDF.replace('export default class TinySDF', 'return class TinySDF'))();
  const result = {};
  for (const face of faces) {
    const family = `g-${face.stack.replace(/\W/g, '')}-${face.subset}`;
    const ff = new FontFace(family, Uint8Array.from(atob(face.woff2), (c) => c.charCodeAt(0)));
    document.fonts.add(await ff.load());
    const sdf = new TinySDF({ fontSize: size, buffer: border, radius, cutoff, fontFamily: family });
    result[face.stack] ||= [];
    for (const cp of face.codepoints) {
      const g = sdf.draw(String.fromCodePoint(cp));
      result[face.stack].push({
        id: cp,
        width: g.glyphWidth,
        height: g.glyphHeight,
        left: g.glyphLeft,
        top: g.glyphTop,
        advance: g.glyphAdvance,
        bitmap: g.glyphWidth && g.glyphHeight ? btoa(String.fromCharCode(...g.data)) : '',
      });
    }
  }
  return result;
}

function encode(stack, start, glyphs) {
  const pbf = new PbfWriter();
  pbf.writeMessage(1, (_, w) => {
    w.writeStringField(1, stack);
    w.writeStringField(2, `${start}-${start + 255}`);
    for (const g of glyphs) {
      w.writeMessage(3, (__, gw) => {
        gw.writeVarintField(1, g.id);
        if (g.bitmap) gw.writeBytesField(2, Buffer.from(g.bitmap, 'base64'));
        gw.writeVarintField(3, g.width);
        gw.writeVarintField(4, g.height);
        gw.writeSVarintField(5, g.left);
        gw.writeSVarintField(6, g.top - TOP);
        gw.writeVarintField(7, Math.round(g.advance));
      });
    }
  });
  return Buffer.from(pbf.finish());
}

const faces = [];
const seen = {};
for (const [stack, weight] of Object.entries(STACKS)) {
  seen[stack] = new Set();
  for (const subset of SUBSETS) {
    const file = join(fontDir, `noto-sans-${subset}-${weight}-normal`);
    // A codepoint both subsets hold is drawn from the first, as the page's
    // @font-face order would.
    const codepoints = [...woffCodepoints(readFileSync(file + '.woff'))].filter((c) => !seen[stack].has(c)).sort((a, b) => a - b);
    for (const c of codepoints) seen[stack].add(c);
    faces.push({ stack, subset, codepoints, woff2: readFileSync(file + '.woff2').toString('base64') });
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let drawn;
try {
  const page = await browser.newPage();
  drawn = await page.evaluate(drawAll, {
    faces,
    tinySDF: readFileSync(join(here, 'node_modules/@mapbox/tiny-sdf/index.js'), 'utf8'),
    size: SIZE, border: BORDER, radius: RADIUS, cutoff: CUTOFF,
  });
} finally {
  await browser.close();
}

rmSync(out, { recursive: true, force: true });
let files = 0;
let bytes = 0;
for (const [stack, glyphs] of Object.entries(drawn)) {
  mkdirSync(join(out, stack), { recursive: true });
  const byRange = new Map();
  for (const g of glyphs.sort((a, b) => a.id - b.id)) {
    const start = g.id - (g.id % 256);
    if (!byRange.has(start)) byRange.set(start, []);
    byRange.get(start).push(g);
  }
  for (const [start, gs] of byRange) {
    const buf = encode(stack, start, gs);
    writeFileSync(join(out, stack, `${start}-${start + 255}.pbf`), buf);
    files++;
    bytes += buf.length;
  }
}
writeFileSync(join(out, 'README.md'), `# glyphs

The web map's label glyphs, as MapLibre glyph PBFs (\`{fontstack}/{start}-{end}.pbf\`),
drawn from Noto Sans (SIL Open Font License 1.1, @fontsource/noto-sans 5.3.0: the latin
and latin-ext subsets, regular and bold) by \`tools/glyphs/build.mjs\`. Generated: do not
edit; re-run \`cd tools/glyphs && npm ci && node build.mjs\`.
`);
console.log(`wrote ${files} files, ${bytes} bytes, to ${out}`);
