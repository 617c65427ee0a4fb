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
	n, err := s.geometryBytes(ctx, r, l)
	return n > mapTiledBytes, err
}

// geometryBytes is the size of layer l's geometry as GeoJSON, read from the
// stored bodies (or the snapshot of a store without an index) once per
// layer revision. Only layers of at most mapTiledOver features are
// measured.
func (s *Server) geometryBytes(ctx context.Context, r layers.Reader, l layers.Layer) (int, error) {
	key := l.ID + "@" + l.Revision
	if n, ok := s.geomSizes.get(key); ok {
		return n, nil
	}
	n := 0
	ix, ok, err := s.pinnedIndex(ctx, r)
	if err != nil {
		return 0, err
	}
	if ok {
		err = scanChunks(ctx, ix, l.ID, func(b layers.Body) error {
			n += len(b.Geometry)
			return nil
		}, func() error { return nil })
	} else {
		var sn *layers.Snapshot
		if sn, err = s.snapshotOf(ctx, r, l.ID); err == nil {
			for _, g := range sn.Geometry {
				n += len(g)
			}
		}
	}
	if err != nil {
		return 0, err
	}
	s.geomSizes.put(key, n)
	return n, nil
}
