package server

import (
	"context"

	"github.com/citemap/citemap/layers"
)

// The web map draws a layer from its vector tiles, instead of downloading
// it whole, when it is large by either measure: features (each one a
// worker's bucket entry and the app's bookkeeping) or geometry (each vertex
// clipped, simplified and tessellated in the browser before the first
// frame). Tiles come generalized for their zoom. With the bundled data the
// 12 country areas are 12 features but 330 KB of Natural Earth 1:10m
// polygons, more than the rest of the cited layers together; drawn from
// tiles they cost the first load 14 KB instead of 335 KB, and the map its
// idle state sooner (bench/README.md, "first-render.mjs").
const (
	mapTiledOver  = 1000      // features
	mapTiledBytes = 256 << 10 // GeoJSON geometry of all the features
)

// drawnFromTiles reports whether the web map draws layer l of r from its
// tiles: the basemap, and a layer over mapTiledOver features or
// mapTiledBytes of geometry. The map page's preload, /collections (its
// "tiled" member, which the front end follows) and the static export all
// ask here, so they cannot disagree.
func (s *Server) drawnFromTiles(ctx context.Context, r layers.Reader, l layers.Layer) (bool, error) {
	if l.Kind == layers.KindBasemap || l.Count > mapTiledOver {
		return true, nil
	}
	n, err := s.sizeOf(ctx, r, l)
	return n.geometry > mapTiledBytes, err
}

// layerSize is what one pass over a layer's stored bodies measures.
type layerSize struct {
	geometry int // GeoJSON geometry of all the features, in bytes
	snapshot int // the memory the layer would hold decoded (snapshotSize)
}

// sizeOf measures layer l of r from its stored bodies (or, in a store
// without an index, from its snapshot), once per layer revision: 0.2 s for
// bench's 100k polygons, against 1.4 s and 190 MiB of heap to decode them.
func (s *Server) sizeOf(ctx context.Context, r layers.Reader, l layers.Layer) (layerSize, error) {
	return s.sizes.getOr(ctx, l.ID+"@"+l.Revision, func(ctx context.Context) (layerSize, error) {
		var n layerSize
		ix, ok, err := s.pinnedIndex(ctx, r)
		if err != nil {
			return n, err
		}
		if !ok {
			sn, err := s.snapshotOf(ctx, r, l.ID)
			if err != nil {
				return n, err
			}
			for _, g := range sn.Geometry {
				n.geometry += len(g)
			}
			n.snapshot = snapshotSize(sn)
			return n, nil
		}
		err = scanChunks(ctx, ix, l.ID, func(b layers.Body) error {
			n.geometry += len(b.Geometry)
			// A claim per passage cited: the bodies keep the passages,
			// not the claims.
			n.snapshot += featureSize(len(b.Geometry), len(b.Properties), len(b.Passages))
			return nil
		}, func() error { return nil })
		return n, err
	})
}
