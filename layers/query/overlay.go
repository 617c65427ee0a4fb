package query

import (
	"context"
	"maps"
	"slices"

	"github.com/citemap/citemap/layers"
)

// Overlay is what unpublished edits (an editor's drafts) change in a stored
// layer: the stored features they hide, replaced or deleted, and the
// features they put in their place or add.
type Overlay struct {
	// Hidden holds the id of every feature an edit touches.
	Hidden map[string]bool
	// Snapshot holds the edits' features, as they stand after them: few,
	// decoded in memory.
	Snapshot *layers.Snapshot
	// Sources names the source of each passage, the drafts' own included.
	Sources map[string]string
}

// NewOverlay lays edits (in the order they were made: a later edit of a
// feature wins) over layer l; passageSource names each cited passage's
// source, for source_count.
func NewOverlay(l layers.Layer, edits []layers.Edit, passageSource map[string]string) (*Overlay, error) {
	ov := &Overlay{Hidden: make(map[string]bool, len(edits)), Sources: passageSource}
	after := make(map[string]*layers.Feature, len(edits))
	for _, e := range edits {
		ov.Hidden[e.ID] = true
		after[e.ID] = e.After
	}
	var feats []layers.Feature
	for _, id := range slices.Sorted(maps.Keys(after)) {
		if f := after[id]; f != nil {
			feats = append(feats, *f)
		}
	}
	sn, err := layers.NewSnapshot(l, feats, passageSource)
	if err != nil {
		return nil, err
	}
	ov.Snapshot = sn
	return ov, nil
}

// ItemsOver is Items with ov laid over the stored layer: the features
// matched are the stored ones ov does not hide and ov's own, in id order,
// and the page is a page of those. It reads from the store what Items reads
// for a page longer by the number of ov's features, and decodes nothing
// else: an editor's drafts in a layer of a million features cost what
// their own features cost. The layer described is the layer with ov
// applied (its count, and a revision of its own).
func ItemsOver(ctx context.Context, ix layers.Indexed, id string, ov *Overlay, plan func(Result) (layers.Query, Page, error), fn func(layers.Body) error) (Result, error) {
	if ov == nil {
		return Items(ctx, ix, id, plan, fn)
	}
	var res Result
	err := ix.ReadIndex(ctx, id, func(li layers.LayerIndex) error {
		res.Layer = li.Layer()
		res.Queryables = maps.Clone(li.Queryables())
		if res.Queryables == nil {
			res.Queryables = map[string]string{}
		}
		for k, t := range ov.Snapshot.Queryables {
			if _, ok := res.Queryables[k]; !ok {
				res.Queryables[k] = t
			}
		}
		q, p, err := plan(res)
		if err != nil {
			return err
		}
		drafts := Match(ov.Snapshot, q)
		d := len(drafts)
		// The page's stored features have ranks, among the stored matches,
		// from offset-d (every draft before them) to offset+limit (none).
		r0 := max(0, p.Offset-d)
		present, err := storedCount(li, ov.Hidden)
		if err != nil {
			return err
		}
		var stored []layers.Body
		matched, err := runHiding(ctx, li, q, Page{Offset: r0, Limit: p.Limit + d}, ov.Hidden, present, func(b layers.Body) error {
			stored = append(stored, b) // valid until the transaction ends, after fn
			return nil
		})
		if err != nil {
			return err
		}
		res.Matched = matched + d
		res.Layer.Count += len(ov.Snapshot.Features) - present
		res.Layer.Revision += "+drafts"

		// Merge in id order. A feature's position among all matches is the
		// stored features before it (r0 + i) plus the drafts before it (j).
		// For a draft before the first stored feature read, r0 may count
		// more stored features than precede it; but then r0 = offset-d, so
		// r0+j < offset: before the page, where it belongs either way.
		i, j := 0, 0
		emit := func(pos int, b layers.Body) error {
			if pos >= p.Offset && pos < p.Offset+p.Limit {
				return fn(b)
			}
			return nil
		}
		for i < len(stored) || j < d {
			if j == d || (i < len(stored) && stored[i].ID < ov.Snapshot.Features[drafts[j]].ID) {
				if err := emit(r0+i+j, stored[i]); err != nil {
					return err
				}
				i++
				continue
			}
			if err := emit(r0+i+j, draftBody(ov.Snapshot, drafts[j])); err != nil {
				return err
			}
			j++
		}
		return nil
	})
	return res, err
}

// storedCount is how many of ids the layer holds.
func storedCount(li layers.LayerIndex, ids map[string]bool) (int, error) {
	n := 0
	for id := range ids {
		_, ok, err := li.Body(id)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// draftBody is feature i of sn as the read path serves a body.
func draftBody(sn *layers.Snapshot, i int) layers.Body {
	f := sn.Features[i]
	var passages []string
	for _, c := range f.Claims {
		passages = append(passages, c.Passage)
	}
	slices.Sort(passages)
	return layers.Body{
		ID: f.ID, Bound: sn.Bounds[i],
		Geometry: sn.Geometry[i], Properties: sn.Props[i],
		Passages: slices.Compact(passages),
	}
}
