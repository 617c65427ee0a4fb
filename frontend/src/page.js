// What the page was opened as: the full map (/) or an embed (/embed, where
// the server adds a meta tag and has already checked the flags in the
// query), the query's flags, and whether the screen is a phone's.
import { parseQuery } from './hash.js';

/** → {embed: bool, flags: parsed query, mobile: MediaQueryList} */
export function readPage() {
  return {
    embed: document.querySelector('meta[name="citemap:mode"]')?.getAttribute('content') === 'embed',
    flags: parseQuery(location.search),
    mobile: window.matchMedia('(max-width: 700px)'),
  };
}
