// Package tiles cuts a layer into Mapbox vector tiles with orb's
// encoding/mvt, maptile, clip and simplify. It knows nothing of HTTP.
package tiles

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/citemap/citemap/layers"
)

// MaxZoom is the deepest zoom served; the sources place things at town
// precision at best.
const MaxZoom = 16

// buffer is how far around a tile features are kept, as a fraction of the
// tile, so lines and fills join without seams.
const buffer = 1.0 / 64

// Fields are the properties carried into tiles: enough to style, filter by
// date and open the feature; the rest is one request away.
var Fields = []string{"name", "status", "valid_from", "valid_to", "geo_precision", "source_count", "category"}

// dense is how many features a tile holds before thin drops the crowded ones.
const dense = 4096

// grid is the cells per side thin keeps one feature in: 32 tile units,
// 4 pixels of a 512-pixel tile. A crowded tile shows where features are
// dense; zooming in shows each one.
const grid = 128

// thin keeps, in a tile with more than dense features, the first feature
// (in id order) whose bound's centre falls in each grid cell: a crowded
// low-zoom tile cannot show more, and this keeps it small and fast. Tiles
// of ordinary layers are never thinned.
func thin(sn *layers.Snapshot, t maptile.Tile, idx []int) []int {
	if len(idx) <= dense {
		return idx
	}
	b := t.Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	seen := make(map[int32]struct{}, len(idx))
	out := idx[:0]
	for _, i := range idx {
		c := sn.Bounds[i].Center()
		cx := int32(math.Floor((c[0] - b.Min[0]) / w * grid))
		cy := int32(math.Floor((c[1] - b.Min[1]) / h * grid))
		cell := cy*(grid+2) + cx // cells just outside the tile (the buffer) stay apart
		if _, ok := seen[cell]; ok {
			continue
		}
		seen[cell] = struct{}{}
		out = append(out, i)
	}
	return out
}

// Valid reports whether z/x/y names a tile.
func Valid(z, x, y int) bool {
	if z < 0 || z > MaxZoom || x < 0 || y < 0 {
		return false
	}
	n := 1 << z
	return x < n && y < n
}

// Encode returns tile z/x/y of the layer as an uncompressed MVT with one
// layer named after it. Features are cloned first: orb's projection, clip
// and simplify change geometry in place.
func Encode(sn *layers.Snapshot, z, x, y int) ([]byte, error) {
	if !Valid(z, x, y) {
		return nil, layers.Errorf(layers.ENOTFOUND, "no tile %d/%d/%d: zoom 0..%d, x and y 0..2^zoom-1", z, x, y, MaxZoom)
	}
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	fc := geojson.NewFeatureCollection()
	for _, i := range thin(sn, t, sn.Search(t.Bound(buffer))) {
		f := geojson.NewFeature(orb.Clone(sn.Features[i].Geometry))
		f.ID = sn.Features[i].ID
		f.Properties = geojson.Properties{"id": sn.Features[i].ID, "layer": sn.Layer.ID}
		for _, k := range Fields {
			if v, ok := sn.Flat[i][k]; ok && v != nil && v != "" {
				f.Properties[k] = v
			}
		}
		fc.Append(f)
	}
	if len(fc.Features) == 0 {
		return []byte{}, nil // an empty tile is an empty body
	}
	ls := mvt.NewLayers(map[string]*geojson.FeatureCollection{sn.Layer.ID: fc})
	ls.ProjectToTile(t)
	ls.Clip(orb.Bound{Min: orb.Point{-mvt.DefaultExtent * buffer, -mvt.DefaultExtent * buffer},
		Max: orb.Point{mvt.DefaultExtent * (1 + buffer), mvt.DefaultExtent * (1 + buffer)}})
	// Tolerance in tile units: below one pixel of a 512 px tile at every zoom.
	ls.Simplify(simplify.DouglasPeucker(4))
	ls.RemoveEmpty(1, 1)
	b, err := mvt.Marshal(ls)
	if err != nil {
		return nil, fmt.Errorf("encode tile %d/%d/%d of %s: %w", z, x, y, sn.Layer.ID, err)
	}
	return b, nil
}
