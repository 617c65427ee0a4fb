// The label point of an area (util.js labelPoint), in Node: no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelPoint } from '../src/util.js';

// labelPoint as it first was: every grid point tested inside and measured
// to every edge. The early exits must find its very point.
function labelPointWhole(geom) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  if (!polys.length) return null;
  const area = (r) => { let a = 0; for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]); return Math.abs(a / 2); };
  const best = polys.reduce((b, p) => (area(p[0]) > area(b[0]) ? p : b));
  const inRing = (pt, r) => {
    let inside = false;
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = r[i], [xj, yj] = r[j];
      if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
  const inside = (pt) => inRing(pt, best[0]) && !best.slice(1).some((h) => inRing(pt, h));
  const dist = (p) => {
    let min = Infinity;
    for (const r of best) {
      for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
        const [a, b] = [r[j], r[i]];
        let x = a[0], y = a[1], dx = b[0] - x, dy = b[1] - y;
        if (dx !== 0 || dy !== 0) {
          const t = ((p[0] - x) * dx + (p[1] - y) * dy) / (dx * dx + dy * dy);
          if (t > 1) { x = b[0]; y = b[1]; } else if (t > 0) { x += dx * t; y += dy * t; }
        }
        min = Math.min(min, (p[0] - x) ** 2 + (p[1] - y) ** 2);
      }
    }
    return min;
  };
  const xs = best.flat().map((c) => c[0]), ys = best.flat().map((c) => c[1]);
  const [minx, miny, maxx, maxy] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  let cand = [(minx + maxx) / 2, (miny + maxy) / 2];
  let candD = inside(cand) ? dist(cand) : -1;
  let cx = cand[0], cy = cand[1], w = maxx - minx, hgt = maxy - miny;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i <= 12; i++) {
      for (let j = 0; j <= 12; j++) {
        const pt = [cx - w / 2 + (w * i) / 12, cy - hgt / 2 + (hgt * j) / 12];
        if (!inside(pt)) continue;
        const d = dist(pt);
        if (d > candD) { candD = d; cand = pt; }
      }
    }
    cx = cand[0]; cy = cand[1]; w /= 4; hgt /= 4;
  }
  return cand;
}

// Seeded star-shaped rings of 3-200 vertices, every third with a hole,
// every fifth a multipolygon of two.
function starPolygons(n) {
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const ring = (cx, cy, r, k) => {
    const out = [];
    for (let i = 0; i < k; i++) {
      const a = (2 * Math.PI * i) / k, rr = r * (0.3 + rnd());
      out.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
    }
    return [...out, out[0]];
  };
  const gs = [];
  for (let i = 0; i < n; i++) {
    const cx = rnd() * 40, cy = rnd() * 40;
    const p = [ring(cx, cy, 1 + rnd() * 3, 3 + Math.floor(rnd() * 198))];
    if (i % 3 === 0) p.push(ring(cx, cy, 0.2, 8).reverse());
    gs.push(i % 5 === 0 ? { type: 'MultiPolygon', coordinates: [p, [ring(cx + 10, cy, 0.5, 12)]] } : { type: 'Polygon', coordinates: p });
  }
  return gs;
}

test('labelPoint: inside an L whose bbox centre is outside it, on the largest part, none for a line', () => {
  const l = [[[0, 0], [10, 0], [10, 2], [2, 2], [2, 10], [0, 10], [0, 0]]];
  const [x, y] = labelPoint({ type: 'Polygon', coordinates: l });
  assert.ok((x > 0 && x < 2 && y > 0 && y < 10) || (x > 0 && x < 10 && y > 0 && y < 2), `(${x}, ${y}) inside the L`);
  const [mx] = labelPoint({ type: 'MultiPolygon', coordinates: [[[[20, 20], [21, 20], [21, 21], [20, 21], [20, 20]]], l] });
  assert.ok(mx < 10, 'on the larger part');
  assert.equal(labelPoint({ type: 'LineString', coordinates: [[0, 0], [1, 1]] }), null);
});

test('labelPoint finds the point the whole search finds', () => {
  for (const [i, g] of starPolygons(400).entries()) {
    assert.deepEqual(labelPoint(g), labelPointWhole(g), `polygon ${i}`);
  }
});
