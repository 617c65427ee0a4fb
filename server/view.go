package server

import (
	"context"
	"math"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

// viewSnapshot is layer id of r as a picture of the view f draws it. A
// layer over the whole-layer limit, in a store that keeps generalized
// levels, is read only where the view lies, at the detail its size in
// pixels needs (what a tile of that zoom holds); any other is the whole
// layer.
func (s *Server) viewSnapshot(ctx context.Context, r layers.Reader, id string, f viewFlags) (*layers.Snapshot, error) {
	l, err := s.layerOf(ctx, r, id)
	if err != nil {
		return nil, err
	}
	ts, ok := r.(tiles.Store)
	if !ok || l.Count <= s.cfg.MaxWholeLayer || l.Kind == layers.KindBasemap {
		return s.snapshotOf(ctx, r, id)
	}
	b := f.Bound
	if b.IsZero() || b.IsEmpty() {
		b = l.Bound
	}
	var feats []layers.Feature
	err = ts.ReadTiles(ctx, id, func(st tiles.Stored) error {
		var err error
		feats, err = tiles.View(st, b, viewZoom(b, f.Width))
		return err
	})
	if err != nil {
		return nil, err
	}
	return layers.NewSnapshot(l, feats, nil)
}

// viewZoom is the zoom whose tiles draw bound b at about width pixels.
func viewZoom(b orb.Bound, width int) int {
	w := b.Max[0] - b.Min[0]
	if w <= 0 || width <= 0 {
		return tiles.MaxZoom
	}
	z := int(math.Floor(math.Log2(float64(width) * 360 / (512 * w))))
	return max(0, min(tiles.MaxZoom, z))
}
