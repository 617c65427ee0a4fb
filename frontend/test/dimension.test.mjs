// dimensionNeeds (mapstyle.js), in Node: a layer drawn from tiles gets the
// style layers its collection's geometryDimension needs, and all of them
// when the collection does not say (its features mix geometries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataLayers, dimensionNeeds, geometryNeeds } from '../src/mapstyle.js';

const roles = (id, layers) => layers.map(({ layer }) => layer.id.slice(id.length + 1)).sort();

test('a tiled layer of one geometry gets the style layers of that geometry, its historical ones included', () => {
  const cases = [
    { dim: 2, geometry: { type: 'MultiPolygon', coordinates: [] } },
    { dim: 1, geometry: { type: 'LineString', coordinates: [] } },
    { dim: 0, geometry: { type: 'Point', coordinates: [] } },
  ];
  for (const kind of ['countries', 'disputed', 'corridors', 'bases', 'events', 'context', 'unknown-kind']) {
    for (const { dim, geometry } of cases) {
      // The same as a held layer whose features are all of that geometry,
      // one of them historical.
      const held = geometryNeeds([{ geometry }, { geometry, hist: true }]);
      assert.deepEqual(roles('x', dataLayers('x', kind, dimensionNeeds(dim))), roles('x', dataLayers('x', kind, held)), `${kind}, dimension ${dim}`);
    }
  }
});

test('a tiled layer of areas draws no lines or points of its own', () => {
  const got = roles('countries', dataLayers('countries', 'countries', dimensionNeeds(2)));
  const all = roles('countries', dataLayers('countries', 'countries'));
  assert.ok(got.length > 0 && got.length < all.length, `areas: ${got}; all: ${all}`);
  for (const r of got) assert.ok(!/^(line|casing|point)/.test(r), `an area layer got ${r}`);
});

test('no dimension (mixed geometry) or one out of range: every style layer', () => {
  for (const dim of [undefined, null, 3, -1, '2']) {
    assert.equal(dimensionNeeds(dim), null, String(dim));
  }
});
