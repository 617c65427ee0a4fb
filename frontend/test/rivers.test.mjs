// Rivers on the map: the Kura and the Araks (Natural Earth 1:10m river
// centrelines in the basemap tiles) are drawn as lines and named along
// them, the Araks on its Türkiye stretch too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, mapIdle, newPage, openMap, shot, startServer } from './helpers.mjs';
import { perFeature } from '../src/mapstyle.js';

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

/** The river lines drawn and the river names placed in the current view. */
async function rivers(page) {
  return page.evaluate(() => {
    const map = window.citemap.map;
    const names = (layer) => [...new Set(map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.name))].sort();
    return { lines: names('basemap-rivers'), labels: names('water-rivers') };
  });
}

test('the Kura and the Araks are drawn and named along their lines', async () => {
  const { page, context } = await newPage(browser, srv.base);
  await openMap(page, srv.base + '/');
  for (const [name, center, zoom, drawn, named] of [
    // Azerbaijan's lowland, where the Araks joins the Kura: the towns there
    // win the Araks' short free stretch over its name.
    ['lowland', [47.6, 40.2], 7, ['Araks', 'Kura'], ['Kura']],
    // Where the Araks forms Türkiye's border with Armenia.
    ['turkiye', [43.9, 40.05], 8, ['Araks'], ['Araks']],
  ]) {
    await page.evaluate(([c, z]) => window.citemap.map.jumpTo({ center: c, zoom: z }), [center, zoom]);
    await mapIdle(page);
    const got = await rivers(page);
    await shot(page, `rivers-${name}.png`);
    for (const w of drawn) assert.ok(got.lines.includes(w), `${name}: the ${w} is not drawn (lines ${got.lines})`);
    for (const w of named) assert.ok(got.labels.includes(w), `${name}: the ${w} is not named (labels ${got.labels})`);
  }
  // Below the zoom of river names, no name; the lines stay.
  await page.evaluate(() => window.citemap.map.jumpTo({ center: [46, 40.5], zoom: 5 }));
  await mapIdle(page);
  const far = await rivers(page);
  assert.deepEqual(far.labels, [], `names at zoom 5: ${far.labels}`);
  assert.ok(far.lines.includes('Kura'), `the Kura is drawn at zoom 5 (lines ${far.lines})`);
  await context.close();
});

test('a dark embed draws the rivers and their names in its own colours', async () => {
  const { page, context } = await newPage(browser, srv.base, { viewport: { width: 700, height: 520 } });
  await openMap(page, srv.base + '/embed?view=8/40.05/44.40&theme=dark&legend=0');
  await mapIdle(page);
  const paint = await page.evaluate(() => {
    const map = window.citemap.map;
    return {
      line: map.getPaintProperty('basemap-rivers', 'line-color'),
      halo: map.getPaintProperty('water-rivers', 'text-halo-color'),
      named: map.queryRenderedFeatures({ layers: ['water-rivers'] }).map((f) => f.properties.name),
    };
  });
  assert.deepEqual(paint.line, perFeature('#4d7394'), 'the dark river colour (per feature, as the style sets colours)');
  assert.equal(paint.halo, '#3a3d41', 'a light halo would box the river name on dark land');
  assert.ok(paint.named.includes('Araks'), `the Araks is named (${paint.named})`);
  await shot(page, 'rivers-embed-dark.png');
  await context.close();
});
