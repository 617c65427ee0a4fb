// The feature panel: what a feature is and every passage behind it.
// Everything from the server is inserted as text (see util.h).
import { downloadURL, featureDownloadURL } from './urls.js';
import { formatDate, formatPeriod, h, humanize, languageName, localHref, splitList } from './util.js';

// Properties shown in their own places, or internal.
const SHOWN = new Set(['name', 'aliases', 'status', 'valid_from', 'valid_to', 'date_note', 'geo_precision', 'country',
  'coord_source', 'coord_licence', 'geometry_note', 'note', 'source_count', 'passage_ids', 'claims', 'iso_n3']);

const PRECISION = {
  exact: 'exact (the place itself)',
  town: 'town (the nearest town, not the exact site)',
  region: 'region (approximate area or line)',
};

/** relation badge: "supports" / "contradicts" (anything else shown as is). */
export function relationBadge(relation) {
  const r = String(relation || 'supports');
  return h('span', { class: `badge badge-${r === 'contradicts' ? 'contradicts' : r === 'supports' ? 'supports' : 'other'}` }, r);
}

/** basis badge: "inferred" for a claim the reader must infer; nothing for an explicit one. */
export function basisBadge(basis) {
  return basis === 'inferred'
    ? h('span', { class: 'badge badge-inferred', title: 'The passage does not name this feature and state this: it is inferred (see the note)' }, 'inferred')
    : null;
}

/** Explicit claims first, the order otherwise kept. */
export function explicitFirst(claims, basisOf = (c) => c.basis) {
  return claims.map((c, i) => [c, i])
    .sort(([a, i], [b, j]) => ((basisOf(a) === 'inferred') - (basisOf(b) === 'inferred')) || i - j)
    .map(([c]) => c);
}

/** The note under a claim: "Inferred: how" for an inferred claim, "Why: …" otherwise. */
export function claimNote(basis, note) {
  if (basis === 'inferred') {
    return h('p', { class: 'claim-note inferred-note small' }, h('span', { class: 'muted' }, 'Inferred: '), note || 'no note says how');
  }
  return note ? h('p', { class: 'claim-note small' }, h('span', { class: 'muted' }, 'Why: '), note) : null;
}

/** "AzerNews · 5 Jul 2025" from a source's stated metadata. */
export function sourceLine(src) {
  if (!src) return '';
  const bits = [];
  if (src.publisher) bits.push(src.publisher);
  if (src.author) bits.push(src.author);
  if (src.published) bits.push(formatDate(src.published));
  return bits.join(' · ');
}

/** One quoted passage: context before/after dimmed, the quote itself marked. */
export function quote(p) {
  return h('blockquote', { class: 'passage' },
    h('p', null,
      p.prefix ? h('span', { class: 'ctx', 'aria-hidden': 'true' }, '…' + p.prefix.replace(/\s+/g, ' ').trimStart()) : null,
      h('mark', null, p.exact),
      p.suffix ? h('span', { class: 'ctx', 'aria-hidden': 'true' }, p.suffix.replace(/\s+/g, ' ').trimEnd() + '…') : null));
}

function row(label, ...value) {
  const v = value.filter((x) => x !== null && x !== undefined && x !== '');
  if (!v.length) return null;
  return [h('dt', null, label), h('dd', null, ...v)];
}

/**
 * renderFeature(feature, item, layerTitle) → the panel body.
 * `feature` is the app's indexed feature; `item` the server's
 * /collections/{layer}/items/{id} answer (GeoJSON Feature + evidence).
 */
export function renderFeature(feature, item, layerTitle) {
  const p = item?.properties || feature.props;
  const body = [];

  body.push(h('p', { class: 'feature-kind' },
    layerTitle,
    feature.hist ? h('span', { class: 'badge badge-hist' }, 'historical') : null));

  // Names.
  const local = Object.entries(p).filter(([k, v]) => k.startsWith('name_') && v);
  const aliases = splitList(p.aliases);
  if (local.length || aliases.length) {
    body.push(h('section', { class: 'names', 'aria-label': 'Other names' },
      local.length ? h('ul', { class: 'local-names' }, local.map(([k, v]) => {
        const code = k.slice(5);
        return h('li', null, h('span', { class: 'muted' }, `${languageName(code)}: `), h('span', { lang: code }, String(v)));
      })) : null,
      aliases.length ? h('p', { class: 'aliases' }, h('span', { class: 'muted' }, 'Also: '), aliases.join(' · ')) : null));
  }

  // Facts.
  const period = formatPeriod(p.valid_from, p.valid_to);
  const rows = [
    row('Status', p.status),
    row('When', period || 'no dates stated', p.date_note ? h('span', { class: 'muted small block' }, p.date_note) : null),
    row('Location precision', PRECISION[p.geo_precision] || p.geo_precision),
    row('Country', p.country),
    row('Coordinates from', p.coord_source, p.coord_licence ? h('span', { class: 'muted small block' }, p.coord_licence) : null),
    row('Geometry', p.geometry_note),
    row('Note', p.note),
  ];
  for (const [k, v] of Object.entries(p)) {
    if (SHOWN.has(k) || k.startsWith('name_') || v === '' || v === null || typeof v === 'object') continue;
    rows.push(row(humanize(k), String(v)));
  }
  body.push(h('dl', { class: 'facts' }, rows.filter(Boolean).flat()));

  // Evidence: explicit claims first; only sources that state something
  // explicitly count as sources. A context feature has no evidence, only
  // the passages it is inferred from.
  const ev = explicitFirst(item?.evidence || []);
  const nSources = new Set(ev.filter((e) => e.basis !== 'inferred').map((e) => e.source?.id)).size;
  const contra = ev.filter((e) => e.relation === 'contradicts').length;
  const inferred = ev.filter((e) => e.basis === 'inferred').length;
  if (feature.kind === 'context') {
    body.push(h('h3', { class: 'evidence-title context-title' }, 'Context, not evidence'));
    body.push(h('p', { class: 'context-note small' },
      'No passage names this feature and states it: it is inferred from the passages below, so it is drawn muted and not counted as cited.'));
  } else {
    body.push(h('h3', { class: 'evidence-title' },
      `Evidence: ${ev.length} passage${ev.length === 1 ? '' : 's'} from ${nSources} source${nSources === 1 ? '' : 's'}`,
      contra || inferred ? h('span', { class: 'muted small' }, ` (${[
        contra ? `${contra} contradicting` : '',
        inferred ? `${inferred} inferred` : '',
      ].filter(Boolean).join(', ')})`) : null));
  }
  if (!item) body.push(h('p', { class: 'muted' }, 'Loading the passages…'));
  body.push(h('ol', { class: 'claims' }, ev.map((e) => h('li', {
    class: `claim claim-${e.relation === 'contradicts' ? 'contradicts' : 'supports'}${e.basis === 'inferred' ? ' claim-inferred' : ''}`,
    dataset: { passage: e.passage || '', relation: e.relation || '', aspect: e.aspect || '', basis: e.basis || '' },
  },
  h('p', { class: 'claim-head' },
    relationBadge(e.relation),
    basisBadge(e.basis),
    h('span', { class: 'aspect' }, humanize(e.aspect || 'existence')),
    e.confidence ? h('span', { class: 'muted small' }, `${e.confidence} confidence`) : null),
  quote(e),
  h('p', { class: 'cite' },
    h('cite', null, e.source?.label || e.source?.title || e.source?.id || 'source'),
    sourceLine(e.source) ? h('span', { class: 'muted' }, ' — ' + sourceLine(e.source)) : null),
  claimNote(e.basis, e.note),
  h('p', { class: 'claim-links small' },
    e.context_href ? h('a', { href: localHref(e.context_href), class: 'context-link' }, 'Read in context') : null,
    h('span', { class: 'muted' }, ` passage ${e.passage}`))))));

  body.push(h('p', { class: 'small muted feature-foot' },
    'Data: ',
    h('a', { href: featureDownloadURL(feature.layer, feature.id) }, 'this feature as GeoJSON'),
    ' · ',
    h('a', { href: downloadURL(feature.layer, 'geojson', true), download: '' }, 'whole layer')));
  return body;
}
