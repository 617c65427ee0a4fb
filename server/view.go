package server

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

// viewSnapshot is layer id of r as a picture of the view f draws it. A
// layer readForView picks, in a store that keeps generalized levels, is
// read only where the view lies (its own bound when f has no bbox), at the
// detail a picture of that bound's size in pixels needs (what a tile of
// that zoom holds); the feature the picture is of is in it even where a
// crowded cell thins it out. Such a snapshot holds the view's features
// without their claims: passages holds the passages each cites (nil for a
// whole layer, whose features carry their claims). Any other layer is
// drawn whole, from the snapshot the server holds: read for the view, a
// layer of 21,500 cited points cost the load test half its throughput
// (bench/README.md, "Pictures and export-site over large layers").
func (s *Server) viewSnapshot(ctx context.Context, r layers.Reader, id string, f viewFlags) (sn *layers.Snapshot, passages map[string][]string, err error) {
	l, err := s.layerOf(ctx, r, id)
	if err != nil {
		return nil, nil, err
	}
	forView, err := s.readForView(ctx, r, l)
	if err != nil {
		return nil, nil, err
	}
	if !forView {
		sn, err := s.snapshotOf(ctx, r, id)
		return sn, nil, err
	}
	ts := r.(tiles.Store)
	b := f.Bound
	if b.IsZero() || b.IsEmpty() {
		b = l.Bound
	}
	featured := ""
	if layer, fid, ok := strings.Cut(f.Feature, "/"); ok && layer == id {
		featured = fid
	}
	var feats []layers.Feature
	passages = map[string][]string{} // for an uncited layer, empty: no source
	err = ts.ReadTiles(ctx, id, func(st tiles.Stored) error {
		var err error
		if feats, err = tiles.View(st, b, viewZoom(b, f.Width), featured); err != nil || !l.Cited() {
			return err // an uncited layer's features cite nothing
		}
		for _, f := range feats {
			body, ok, err := st.Body(f.ID)
			if err != nil {
				return fmt.Errorf("passages of %s/%s: %w", id, f.ID, err)
			}
			if ok {
				passages[f.ID] = body.Passages
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sn, err = layers.NewSnapshot(l, feats, nil)
	return sn, passages, err
}

// readForView is whether a picture reads layer l of r for its view (see
// viewSnapshot) rather than drawing it whole: a layer over the whole-layer
// limit, or one whose snapshot is larger than the cache keeps, which every
// picture would decode anew (bench's 100k polygons: 0.9-1.0 s and some
// 400 MiB of RSS for each new view).
func (s *Server) readForView(ctx context.Context, r layers.Reader, l layers.Layer) (bool, error) {
	if _, ok := r.(tiles.Store); !ok || l.Kind == layers.KindBasemap {
		return false, nil
	}
	if l.Count > s.cfg.MaxWholeLayer {
		return true, nil
	}
	n, err := s.sizeOf(ctx, r, l)
	return n.snapshot > s.snapshots.maxBytes, err
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
