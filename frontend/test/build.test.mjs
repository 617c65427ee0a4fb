// The build's output, in Node: no browser. The compressed forms the build
// writes beside the text assets (name.br, name.gz) are what the server and a
// static host send instead of the file, so each must be the file exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { repoRoot } from './helpers.mjs';

const assets = join(repoRoot, 'frontend', 'dist', 'assets');

test('every compressed asset is its file, and the large ones have both forms', { skip: !existsSync(assets) && 'not built' }, () => {
  // The glyph files sit in folders (glyphs-<hash>/<font stack>/).
  const names = readdirSync(assets, { recursive: true }).filter((n) => /\.[a-z0-9]+$/.test(n));
  let forms = 0;
  for (const name of names) {
    const m = /^(.*)\.(br|gz)$/.exec(name);
    if (!m) {
      if (name.endsWith('.pbf') && readFileSync(join(assets, name)).length > 10_000) {
        assert.ok(names.includes(name + '.gz'), `${name} has no gzip form`);
      }
      const size = readFileSync(join(assets, name)).length;
      if (/\.(js|css)$/.test(name) && size > 10_000) {
        assert.ok(names.includes(name + '.br') && names.includes(name + '.gz'), `${name} (${size} bytes) has no brotli or gzip form`);
      }
      continue;
    }
    assert.ok(names.includes(m[1]), `${name} stands for ${m[1]}, which the build did not write`);
    const plain = readFileSync(join(assets, m[1]));
    const packed = readFileSync(join(assets, name));
    const unpacked = m[2] === 'br' ? brotliDecompressSync(packed) : gunzipSync(packed);
    assert.ok(plain.equals(unpacked), `${name} does not unpack to ${m[1]}`);
    assert.ok(packed.length < plain.length, `${name} is no smaller than ${m[1]}`);
    forms++;
  }
  assert.ok(forms >= 6, `${forms} compressed forms: the app, its worker and its stylesheet should each have two`);
});
