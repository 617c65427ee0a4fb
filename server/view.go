package server

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/staticmap"
	"github.com/citemap/citemap/layers/tiles"
)

// pictureView is what a picture's tiled layers are read for: the bound
// they are read over (zero: each layer's own), the zoom whose detail the
// picture needs (with a zero bound, found per layer), and the feature the
// picture is of ("" for none).
type pictureView struct {
	Bound   orb.Bound
	Zoom    int
	Feature string // "layer/id"
}

// viewOf is the pictureView of flags f. A picture of one feature without
// a bbox is framed around the feature: its tiled layers are read over that
// frame doubled (a legend beside the map can widen it), at the frame's
// zoom.
func (s *Server) viewOf(ctx context.Context, r layers.Reader, f viewFlags) (pictureView, error) {
	v := pictureView{Bound: f.Bound, Feature: f.Feature}
	switch {
	case !f.Bound.IsZero() && !f.Bound.IsEmpty():
		v.Zoom = viewZoom(f.Bound, f.Width)
	case f.Feature != "":
		layer, id, _ := strings.Cut(f.Feature, "/")
		feat, err := r.Feature(ctx, layer, id)
		if err != nil {
			return v, err
		}
		frame := staticmap.FeatureFrame(feat.Geometry, feat.Properties, f.Width, f.Height)
		v.Zoom = viewZoom(frame, f.Width)
		c := frame.Center()
		hw, hh := frame.Max[0]-frame.Min[0], frame.Max[1]-frame.Min[1]
		v.Bound = orb.Bound{Min: orb.Point{c[0] - hw, max(-85, c[1]-hh)}, Max: orb.Point{c[0] + hw, min(85, c[1]+hh)}}
	default:
		v.Bound = orb.Bound{}
	}
	return v, nil
}

// viewSnapshot is layer id of r as a picture of view v draws it. A layer
// over the whole-layer limit, in a store that keeps generalized levels, is
// read only where the view lies, at the detail its size in pixels needs
// (what a tile of that zoom holds), thinned as tiles are; the feature the
// picture is of is in it even where a crowded cell thins it out. Such a
// snapshot holds the view's features without their claims: passages holds
// the passages each cites (nil for a whole layer, whose features carry
// their claims). Any other layer is drawn whole, from the snapshot the
// server holds: read for the view, a layer of 21,500 cited points cost the
// load test half its throughput (bench/README.md, "Pictures and
// export-site over large layers").
func (s *Server) viewSnapshot(ctx context.Context, r layers.Reader, id string, v pictureView, width int) (sn *layers.Snapshot, passages map[string][]string, err error) {
	l, err := s.layerOf(ctx, r, id)
	if err != nil {
		return nil, nil, err
	}
	ts, ok := r.(tiles.Store)
	if !ok || l.Kind == layers.KindBasemap || l.Count <= s.cfg.MaxWholeLayer {
		sn, err := s.snapshotOf(ctx, r, id)
		return sn, nil, err
	}
	b, z := v.Bound, v.Zoom
	if b.IsZero() || b.IsEmpty() {
		b, z = l.Bound, viewZoom(l.Bound, width)
	}
	featured := ""
	if layer, fid, ok := strings.Cut(v.Feature, "/"); ok && layer == id {
		featured = fid
	}
	var feats []layers.Feature
	passages = map[string][]string{} // for an uncited layer, empty: no source
	err = ts.ReadTiles(ctx, id, func(st tiles.Stored) error {
		var err error
		if feats, err = tiles.View(st, b, z, featured); err != nil || !l.Cited() {
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

// viewZoom is the zoom whose tiles draw bound b at about width pixels.
func viewZoom(b orb.Bound, width int) int {
	w := b.Max[0] - b.Min[0]
	if w <= 0 || width <= 0 {
		return tiles.MaxZoom
	}
	z := int(math.Floor(math.Log2(float64(width) * 360 / (512 * w))))
	return max(0, min(tiles.MaxZoom, z))
}
