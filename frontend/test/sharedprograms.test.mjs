// sharedPrograms (mapstyle.js), in Node: no browser. Constant fill and line
// colours become per-feature values of the same colour, so MapLibre draws
// them with the programs the cited layers' per-feature colours need; what
// is per feature already, and what the change would alter, stays as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perFeature, sharedPrograms, basemapLayers } from '../src/mapstyle.js';

test('constant fill and line colours become per-feature values of the same colour', () => {
  const cases = [
    {
      name: 'a fill: its colour, and its outline set to the colour the specification defaults it to',
      in: { id: 'a', type: 'fill', paint: { 'fill-color': '#f5f2ea', 'fill-antialias': false } },
      out: { id: 'a', type: 'fill', paint: { 'fill-color': perFeature('#f5f2ea'), 'fill-outline-color': perFeature('#f5f2ea'), 'fill-antialias': false } },
    },
    {
      name: 'a fill with an outline colour of its own',
      in: { id: 'b', type: 'fill', paint: { 'fill-color': '#ffd43b', 'fill-outline-color': '#000000', 'fill-opacity': 0.18 } },
      out: { id: 'b', type: 'fill', paint: { 'fill-color': perFeature('#ffd43b'), 'fill-outline-color': perFeature('#000000'), 'fill-opacity': 0.18 } },
    },
    {
      name: 'a line, its width (by zoom) untouched',
      in: { id: 'c', type: 'line', paint: { 'line-color': '#a99f8b', 'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.6, 8, 1.4] } },
      out: { id: 'c', type: 'line', paint: { 'line-color': perFeature('#a99f8b'), 'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.6, 8, 1.4] } },
    },
  ];
  for (const c of cases) assert.deepEqual(sharedPrograms(c.in), c.out, c.name);
});

test('what is per feature already, a pattern fill and other layer types are left alone', () => {
  const unchanged = [
    { id: 'd', type: 'line', paint: { 'line-color': ['case', ['get', '_hist'], '#6b7075', '#c0392b'] } },
    { id: 'e', type: 'fill', paint: { 'fill-pattern': 'hatch-red', 'fill-opacity': 0.9 } },
    { id: 'f', type: 'fill', paint: { 'fill-color': ['match', ['get', '_layer'], ['x'], '#111111', '#222222'], 'fill-outline-color': ['get', 'c'] } },
    { id: 'g', type: 'circle', paint: { 'circle-color': '#9b1c1c' } },
    { id: 'h', type: 'symbol', layout: { 'text-field': ['get', 'name'] }, paint: { 'text-color': '#2b3038' } },
    { id: 'i', type: 'background', paint: { 'background-color': '#e3e5e8' } },
    { id: 'j', type: 'line' },
  ];
  for (const l of unchanged) {
    const before = structuredClone(l);
    assert.deepEqual(sharedPrograms(l), before, l.id);
    assert.deepEqual(l, before, `${l.id}: the layer given was changed`);
  }
});

test('the per-feature value is the colour whatever the feature holds', () => {
  // The expression's meaning, without MapLibre: a test of the feature
  // (which makes it per feature) whose two outcomes are the colour.
  const [op, [has], then, otherwise] = perFeature('#d7e5ee');
  assert.equal(op, 'case');
  assert.equal(has, 'has');
  assert.equal(then, '#d7e5ee');
  assert.equal(otherwise, '#d7e5ee');
  // The basemap's own layers, as the map adds them.
  for (const l of basemapLayers().map(sharedPrograms)) {
    if (l.type === 'fill' || l.type === 'line') {
      const v = l.paint[l.type === 'fill' ? 'fill-color' : 'line-color'];
      assert.ok(Array.isArray(v), `${l.id}: colour still constant`);
    }
  }
});
