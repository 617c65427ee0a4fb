// Search of the layers drawn from tiles on a static export, which has no
// server to ask: the export holds each such layer's names as files (see
// server/search.go, searchIndex). A query reads the shard of its first two
// letters, then one letter deeper while the shard says it holds only part
// and the query is longer; it finds names with a word that starts with the
// query. The answer has the server's form ({features: [{layer, id, name,
// match, bbox}]}), ranked as the server ranks.
import { searchIndexURL, searchShardURL } from './urls.js';
import { fold, getJSON } from './util.js';

const files = new Map(); // URL → the promise of its JSON, read once per page

function read(url) {
  if (!files.has(url)) {
    const p = getJSON(url);
    p.catch(() => files.delete(url)); // a failed read is tried again next time
    files.set(url, p);
  }
  return files.get(url);
}

const wordStarts = (text) => [...text.matchAll(/(?<![\p{L}\p{N}])[\p{L}\p{N}]/gu)].map((m) => m.index);

/** How well folded text matches needle (lower is better), or Infinity. */
function rankOf(text, needle) {
  if (text === needle) return 0;
  if (text.startsWith(needle)) return 1;
  return wordStarts(text).some((i) => text.startsWith(needle, i)) ? 2 : Infinity;
}

/** The features of layers whose names have a word starting with q, best first, at most limit. */
export async function searchExport(q, layers, limit) {
  const needle = fold(q);
  const chars = [...needle];
  if (chars.length < 2) return { features: [] };
  const hits = [];
  await Promise.all(layers.map(async (layer) => {
    const root = await read(searchIndexURL(layer));
    let key = chars.slice(0, 2).join('');
    if (!root.keys.includes(key)) return;
    let shard = await read(searchShardURL(layer, key));
    for (let k = 2; shard.more && k < chars.length && (shard.next || []).includes(chars[k]); k++) {
      key += chars[k];
      shard = await read(searchShardURL(layer, key));
    }
    for (const f of shard.features) {
      const folded = fold(f.name);
      let rank = rankOf(folded, needle);
      let match = '';
      if (rank === Infinity) {
        for (const other of f.other || []) {
          const r = 10 + rankOf(fold(other), needle);
          if (r < rank) { rank = r; match = other; }
        }
      }
      if (rank < Infinity) hits.push({ layer, id: f.id, name: f.name, match: match || undefined, bbox: f.bbox, rank, folded });
    }
  }));
  hits.sort((a, b) => a.rank - b.rank || a.folded.length - b.folded.length || (a.folded < b.folded ? -1 : a.folded > b.folded ? 1 : 0)
    || layers.indexOf(a.layer) - layers.indexOf(b.layer) || (a.id < b.id ? -1 : 1));
  return { features: hits.slice(0, limit).map(({ rank, folded, ...h }) => h) };
}
