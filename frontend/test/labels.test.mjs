// Place labels and feature views: the map and an embed opened on a
// feature show it with labelled context (towns, countries) at desktop and
// phone sizes. Screenshots go to test-artifacts/ for a person to look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, mapIdle, newPage, openMap, shot, startServer } from './helpers.mjs';

let srv;
let browser;

before(async () => {
  srv = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

const DEVICES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true },
};

const FEATURES = [
  { key: 'corridors/zangezur-corridor-tripp', name: 'tripp', point: false },
  { key: 'bases/gyumri-102nd-base', name: 'gyumri', point: true },
  { key: 'disputed/abkhazia', name: 'abkhazia', point: false },
  // Far from the region: towns (beyond the basemap's 1:10m extent) say
  // where these are.
  { key: 'events/3plus3-moscow-2021', name: 'moscow', point: true },
  { key: 'events/washington-summit-2025', name: 'washington', point: true },
];

/** What the map shows: its bounds, zoom and the labels it placed. */
async function shown(page, key) {
  return page.evaluate((key) => {
    const map = window.citemap.map;
    const style = map.getStyle().layers.map((l) => l.id);
    const names = (ids) => map.queryRenderedFeatures({ layers: ids.filter((id) => style.includes(id)) })
      .map((f) => ({ name: f.properties.name, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
    const f = window.citemap.features.get(key);
    return {
      bounds: map.getBounds().toArray().flat(),
      zoom: map.getZoom(),
      bbox: f.bbox,
      places: names(style.filter((id) => id.startsWith('place-') && id !== 'place-regions')),
      countries: names(['basemap-labels', 'basemap-area-labels-3', 'basemap-area-labels-4', 'basemap-area-labels-5']),
      // Regions set their country under their name.
      regionCountries: map.queryRenderedFeatures({ layers: ['place-regions'] }).map((g) => g.properties.country).filter(Boolean),
      // The thematic features' own labels that MapLibre placed.
      themed: map.queryRenderedFeatures({ layers: style.filter((id) => /:(line|point|area)-label(:mid)?$/.test(id)) })
        .map((g) => g.properties._key),
    };
  }, key);
}

for (const [device, opts] of Object.entries(DEVICES)) {
  for (const f of FEATURES) {
    for (const mode of ['map', 'embed']) {
      test(`${mode} on ${f.name} (${device}): framed with labelled context`, async () => {
        const { page, context } = await newPage(browser, srv.base, opts);
        const url = mode === 'map'
          ? `${srv.base}/#feature=${f.key}`
          : `${srv.base}/embed?layers=${[...new Set(['borders', 'disputed', 'corridors', 'bases', f.key.split('/')[0]])]}&feature=${f.key}`;
        await openMap(page, url);
        await mapIdle(page);
        const s = await shown(page, f.key);
        await shot(page, `labels-${f.name}-${device}-${mode}.png`);
        const [w, so, e, n] = s.bounds;
        const [a, b, c, d] = s.bbox;
        // The feature is in view, with room around it.
        assert.ok(a >= w && c <= e && b >= so && d <= n, `${f.key} in view ${s.bounds.map((x) => x.toFixed(2))}`);
        const kmLat = 111.32;
        const kmLon = kmLat * Math.cos(((b + d) / 2) * Math.PI / 180);
        const viewKm = Math.min((e - w) * kmLon, (n - so) * kmLat);
        const featKm = Math.max((c - a) * kmLon, (d - b) * kmLat);
        assert.ok(viewKm >= (f.point ? 150 : 1.9 * featKm), `view ${viewKm.toFixed(0)} km across for a feature of ${featKm.toFixed(0)} km`);
        // Named places in view, and on both sides of a corridor.
        assert.ok(s.places.length >= 2, `towns labelled: ${s.places.map((p) => p.name)}`);
        if (f.name === 'tripp') {
          const mid = (a + c) / 2;
          assert.ok(s.places.some((p) => p.lon < mid) && s.places.some((p) => p.lon > mid), `towns on both sides: ${s.places.map((p) => p.name)}`);
          // The town the route is named by ("via Meghri") is never the one
          // to give way to the corridor's own name, except in the strip a
          // phone's sheet leaves, where the line's name comes first.
          if (!(device === 'phone' && mode === 'map')) {
            assert.ok(s.places.some((p) => p.name === 'Meghri'), `Meghri labelled: ${s.places.map((p) => p.name)}`);
            // The route runs through Armenia's narrow Syunik, which no
            // label point of the country falls in: named under Syunik's.
            const named = [...s.countries.map((p) => p.name), ...s.regionCountries];
            assert.ok(named.includes('Armenia'), `Armenia named: ${named}`);
          }
        }
        // The corridor's own name is placed: a thematic label wins over town
        // labels, and a name longer than its line stands beside it.
        // So is the base's, over the town it is named after (Gyumri). In
        // the strip a phone's sheet leaves, the town an event is named after
        // ("..., Moscow") is placed first and its name may find no room
        // beside it: the sheet names the event.
        if (!(device === 'phone' && mode === 'map' && f.key.startsWith('events/'))) {
          assert.ok(s.themed.includes(f.key), `${f.key} labelled; placed: ${s.themed}`);
        }
        // On a phone the feature's sheet leaves the map a strip at the top:
        // towns there, but not always a country name.
        if (!(device === 'phone' && mode === 'map')) {
          assert.ok(s.countries.length >= 1 || s.places.length >= 4, `countries labelled: ${s.countries.map((p) => p.name)}`);
        }
        await context.close();
      });
    }
  }
}

// The capitals of the region are labelled at the first view and close in,
// with their countries named at the first view, and Moscow and Russia in a
// close view of Moscow. Towns around a capital do not stand for it in the
// tiles, and a town, a country's name or a town tier placed before it does
// not hide it.
const CAPITALS = [
  { view: '', capitals: ['Baku', 'Tbilisi', 'Yerevan'], countries: ['Armenia', 'Azerbaijan', 'Georgia'] },
  // Armenia is the country the sources are about: named at zoom 6 too,
  // where the base at Gyumri and the events at Yerevan crowd its point.
  { view: '#map=6/40.20/45.00', capitals: ['Baku', 'Tbilisi', 'Yerevan'], countries: ['Armenia', 'Azerbaijan', 'Georgia'] },
  { view: '#map=6/40.30/44.90', capitals: ['Tbilisi', 'Yerevan'], countries: ['Armenia', 'Azerbaijan', 'Georgia'] },
  { view: '#map=7/40.20/44.60', capitals: ['Yerevan'], countries: [] },
  { view: '#map=8/40.20/44.60', capitals: ['Yerevan'], countries: [] },
  { view: '#map=7/40.40/49.60', capitals: ['Baku'], countries: [] },
  // Beyond the basemap's 1:10m extent: a capital, and Russia named
  // by the grid of its part there.
  { view: '#map=8.5/55.75/37.62', capitals: ['Moscow'], countries: ['Russia'] },
];

for (const c of CAPITALS) {
  test(`capitals labelled at ${c.view || 'the first view'}`, async () => {
    const { page, context } = await newPage(browser, srv.base, DEVICES.desktop);
    await openMap(page, `${srv.base}/${c.view}`);
    await mapIdle(page);
    const s = await page.evaluate(() => {
      const map = window.citemap.map;
      const names = (ids) => map.queryRenderedFeatures({ layers: ids }).map((f) => f.properties.name);
      return { capitals: names(['place-capitals']), countries: names(['basemap-labels', 'basemap-area-labels-3', 'basemap-area-labels-4', 'basemap-area-labels-5']) };
    });
    await shot(page, `labels-capitals-${c.view.replace(/[^0-9.]+/g, '_') || 'first'}.png`);
    for (const name of c.capitals) assert.ok(s.capitals.includes(name), `${name} labelled; capitals placed: ${s.capitals}`);
    for (const name of c.countries) assert.ok(s.countries.includes(name), `${name} named; countries placed: ${s.countries}`);
    await context.close();
  });
}
