// Builds the web map into dist/: index.html and assets/ (content-hashed file
// names), everything the page needs, so the Go binary can embed and serve it
// with nothing loaded from the internet.
//
//   node build.mjs          production build (minified)
//   node build.mjs --dev    readable output with source maps
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const assets = join(dist, 'assets');
const dev = process.argv.includes('--dev');

// Start from an empty dist/ but keep .gitkeep, which git tracks.
for (const name of readdirSync(dist, { withFileTypes: true })) {
  if (name.name !== '.gitkeep') rmSync(join(dist, name.name), { recursive: true, force: true });
}
mkdirSync(assets, { recursive: true });

const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 10);

// copyHashed copies a file into assets/ under a content-hashed name and
// returns its URL path.
function copyHashed(src, base, ext) {
  const buf = readFileSync(src);
  const name = `${base}-${hash(buf)}${ext}`;
  writeFileSync(join(assets, name), buf);
  return `/assets/${name}`;
}

// MapLibre 6 runs its worker as a same-origin module worker loaded from a URL
// (no blob: URL); the app points maplibregl.setWorkerUrl at this copy. It is
// self-contained (no imports), so it is copied as is (already minified).
const mlDist = join(here, 'node_modules/maplibre-gl/dist');
const workerURL = copyHashed(join(mlDist, 'maplibre-gl-worker.mjs'), 'maplibre-gl-worker', '.js');

// Noto Sans (OFL, @fontsource/noto-sans): the page's font. The map labels'
// glyphs are drawn from the same files, ahead of time (glyphs/ below).
const fontDir = join(here, 'node_modules/@fontsource/noto-sans/files');
const fonts = {};
for (const [key, file] of Object.entries({
  latin400: 'noto-sans-latin-400-normal.woff2',
  latin700: 'noto-sans-latin-700-normal.woff2',
  ext400: 'noto-sans-latin-ext-400-normal.woff2',
  ext700: 'noto-sans-latin-ext-700-normal.woff2',
})) {
  fonts[key] = copyHashed(join(fontDir, file), file.replace(/\.woff2$/, ''), '.woff2');
}
const favicon = copyHashed(join(here, 'src/favicon.svg'), 'favicon', '.svg');

// The labels' glyphs (glyphs/, made by tools/glyphs from the same fonts):
// one folder named by a hash of them all, so the style's glyphs URL, a
// template, stays immutable like the other assets' names.
const glyphSrc = join(here, 'glyphs');
const glyphFiles = readdirSync(glyphSrc, { recursive: true }).filter((f) => f.endsWith('.pbf')).sort();
const glyphHash = createHash('sha256');
for (const f of glyphFiles) glyphHash.update(f).update(readFileSync(join(glyphSrc, f)));
const glyphDir = `glyphs-${glyphHash.digest('hex').slice(0, 10)}`;
for (const f of glyphFiles) {
  mkdirSync(dirname(join(assets, glyphDir, f)), { recursive: true });
  copyFileSync(join(glyphSrc, f), join(assets, glyphDir, f));
}
const glyphsURL = `/assets/${glyphDir}/`;

// Code splitting: the editor (src/editor/, loaded by import() after a
// sign-in) is an entry point of its own, editor-[hash].js, so readers never
// download it; code both use goes into chunk-[hash].js files that the app
// imports (and the page preloads).
const result = await esbuild.build({
  entryPoints: {
    app: join(here, 'src/main.js'),
    editor: join(here, 'src/editor/index.js'),
    style: join(here, 'src/style.css'),
    // The editor's styles: not imported by its code (esbuild would put
    // them in the app's CSS too, through the dynamic import), but a file
    // of their own that the sign-in links.
    'editor-style': join(here, 'src/editor/editor.css'),
  },
  bundle: true,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'eof',
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  external: ['/assets/*', '*.woff2'], // the fonts: copied into assets/ above, named by the stylesheet
  define: {
    __WORKER_URL__: JSON.stringify(workerURL),
    __GLYPHS__: JSON.stringify(glyphsURL),
  },
  // The page's CSS names the font files by their final names.
  plugins: [{
    name: 'font-urls',
    setup(build) {
      build.onLoad({ filter: /src[\\/]style\.css$/ }, (args) => {
        let css = readFileSync(args.path, 'utf8');
        // Relative to the stylesheet, which sits beside them in assets/, so
        // the page works under any base path (a static export's too).
        for (const [key, url] of Object.entries(fonts)) css = css.replaceAll(`FONT_${key}`, url.split('/').pop());
        return { contents: css, loader: 'css', resolveDir: dirname(args.path) };
      });
    },
  }],
});

// The resize script host pages include (/assets/embed.js): a stable,
// unhashed name, because it is pasted into other sites' pages.
await esbuild.build({
  entryPoints: [join(here, 'src/embed-host.js')],
  bundle: false,
  format: 'iife',
  target: ['es2017'],
  minify: !dev,
  legalComments: 'none',
  banner: { js: '/* citemap resize script for embedded maps. MIT licence. */' },
  outfile: join(assets, 'embed.js'),
  logLevel: 'warning',
});

const outputs = { preload: [] };
const url = (file) => '/assets/' + file.split('/').pop();
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint?.endsWith('src/main.js') && file.endsWith('.js')) {
    outputs.js = url(file);
    // The chunks the app imports statically: fetched with it, not after it.
    outputs.preload = meta.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => url(i.path));
    if (meta.cssBundle) throw new Error('build: src/main.js imports CSS; the page styles come from src/style.css');
  }
  if (meta.entryPoint?.endsWith('src/editor/index.js') && file.endsWith('.js')) {
    outputs.editor = url(file);
    if (meta.cssBundle) outputs.editorCSS = url(meta.cssBundle);
  }
  if (meta.entryPoint?.endsWith('src/style.css') && file.endsWith('.css')) outputs.css = url(file);
  if (meta.entryPoint?.endsWith('src/editor/editor.css') && file.endsWith('.css')) outputs.editorCSS = url(file);
}
if (!outputs.js || !outputs.css || !outputs.editor) throw new Error('build: missing outputs ' + JSON.stringify(outputs));
// No file the page loads at start may hold the editor's code.
if (outputs.preload.includes(outputs.editor)) throw new Error('build: the app imports the editor statically');

let html = readFileSync(join(here, 'src/index.html'), 'utf8');
html = html
  .replaceAll('%APP_JS%', outputs.js)
  .replaceAll('%APP_PRELOAD%', outputs.preload.map((u) => `<link rel="modulepreload" href="${u}">`).join('\n'))
  .replaceAll('%EDITOR_CSS%', outputs.editorCSS || '')
  .replaceAll('%APP_CSS%', outputs.css)
  .replaceAll('%FAVICON%', favicon)
  .replaceAll('%FONT_LATIN_400%', fonts.latin400);
if (/%[A-Z_0-9]+%/.test(html)) throw new Error('build: unreplaced placeholder in index.html');
writeFileSync(join(dist, 'index.html'), html);

// Precompressed forms of the text assets, made once here at the best
// levels (brotli 11, gzip 9) rather than by the server on every request: the
// app's 1.2 MB script took the server 30 ms of CPU per first visit at the
// compression middleware's level, on the same cores as the browser it
// serves. The server sends name.br or name.gz beside name when the client
// takes it; a static host can too (nginx's gzip_static, brotli_static).
let total = 0;
for (const f of readdirSync(assets, { recursive: true })) {
  if (!/\.[a-z0-9]+$/.test(f)) continue; // a folder
  const buf = readFileSync(join(assets, f));
  total += buf.length;
  if (!/\.(js|css|svg|pbf)$/.test(f)) continue;
  const br = brotliCompressSync(buf, { params: {
    [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
    [zlibConstants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    [zlibConstants.BROTLI_PARAM_MODE]: f.endsWith('.pbf') ? zlibConstants.BROTLI_MODE_GENERIC : zlibConstants.BROTLI_MODE_TEXT,
  } });
  const gz = gzipSync(buf, { level: 9 });
  // Only where it saves something worth a second file (brotli: and beats
  // gzip, which it does not on the smallest glyph files).
  if (br.length < buf.length * 0.9 && br.length < gz.length) writeFileSync(join(assets, f + '.br'), br);
  if (gz.length < buf.length * 0.9) writeFileSync(join(assets, f + '.gz'), gz);
}
console.log(`built dist/index.html and ${readdirSync(assets).filter((f) => !/\.(br|gz)$/.test(f)).length} assets (${(total / 1024).toFixed(0)} KiB uncompressed)`);
