package bolt

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/tiles"
)

// Generalized levels for tiles (see tiles.Levels): one bucket per layer,
//
//	levels  zoom, then the feature's spatial index key (level, cell,
//	        feature \0) and v -> the bound, then tiles.Record
//
// holding, for each stored zoom, the features its crowded cells keep. A
// version recomputes only the cells of that zoom its changed features left
// or entered: it reads their members from the spatial index, keeps what
// tiles.Kept keeps, and writes only the records that differ.

var bucketLevels = []byte("levels")

// levelCell is a thinning cell of a stored zoom.
type levelCell struct {
	zoom int
	cell [2]int
}

// touchLevels notes the cells a feature change leaves (old, its stored
// record at base, nil for a new feature) and enters (cur, nil for a
// delete).
func (ch *change) touchLevels(layer string, old []byte, cur orb.Geometry) error {
	if ch.levelWhole[layer] {
		return nil
	}
	var bounds []orb.Bound
	if cur != nil {
		bounds = append(bounds, cur.Bound())
	}
	if old != nil {
		_, _, g, err := featureParts(old)
		if err != nil {
			return err
		}
		og, err := wkb.Unmarshal(g)
		if err != nil {
			return fmt.Errorf("decode geometry in layer %s: %w", layer, err)
		}
		bounds = append(bounds, og.Bound())
	}
	if ch.levelCells == nil {
		ch.levelCells = map[string]map[levelCell]struct{}{}
	}
	cells := ch.levelCells[layer]
	if cells == nil {
		cells = map[levelCell]struct{}{}
		ch.levelCells[layer] = cells
	}
	for _, z := range tiles.Levels() {
		for _, b := range bounds {
			cells[levelCell{z, tiles.Cell(z, b)}] = struct{}{}
		}
	}
	if ch.levelLimit > 0 && len(cells) > ch.levelLimit {
		if ch.levelWhole == nil {
			ch.levelWhole = map[string]bool{}
		}
		ch.levelWhole[layer] = true
		delete(ch.levelCells, layer)
	}
	return nil
}

// writeLevels stages and writes, in the version's last transaction (after
// its features and bodies), the level records of every cell it touched.
func (ch *change) writeLevels(tx *bbolt.Tx) error {
	if len(ch.levelCells) == 0 {
		return nil
	}
	top, err := tx.CreateBucketIfNotExists(bucketLevels)
	if err != nil {
		return err
	}
	for _, layer := range slices.Sorted(maps.Keys(ch.levelCells)) {
		rec, err := layerAt(tx, layer, ch.ver)
		if err != nil {
			continue // no such layer at the new version: nothing to draw
		}
		cur := &layerIndex{rec: rec, at: ch.ver, bodies: bodiesOf(tx, layer), ids: idsOf(tx, layer)}
		// The records the base version holds were filed under its reach,
		// which a count over the whole layer may since have shrunk.
		var baseReach [][2]float64
		if old, err := layerAt(tx, layer, ch.base); err == nil {
			baseReach = old.Reach
		}
		lb := top.Bucket([]byte(layer))
		ops := map[string][]byte{}
		cells := slices.SortedFunc(maps.Keys(ch.levelCells[layer]), func(a, b levelCell) int {
			if a.zoom != b.zoom {
				return a.zoom - b.zoom
			}
			if a.cell[1] != b.cell[1] {
				return a.cell[1] - b.cell[1]
			}
			return a.cell[0] - b.cell[0]
		})
		for _, lc := range cells {
			q := tiles.CellBound(lc.zoom, lc.cell)
			var members []tiles.Member
			if err := cur.Search(q, func(id string, b orb.Bound) bool {
				if tiles.Cell(lc.zoom, b) == lc.cell {
					members = append(members, tiles.Member{ID: id, Bound: b})
				}
				return true
			}); err != nil {
				return err
			}
			type stored struct{ ent, val []byte }
			had := map[string]stored{}
			drawn(lb, lc.zoom, q, ch.base, baseReach, func(ent []byte, id string, b orb.Bound, val []byte) bool {
				if tiles.Cell(lc.zoom, b) == lc.cell {
					had[id] = stored{bytes.Clone(ent), bytes.Clone(val)}
				}
				return true
			})
			for _, m := range tiles.Kept(members) {
				body, ok, err := cur.Body(m.ID)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("layer %s: feature %s is in the spatial index but has no body", layer, m.ID)
				}
				r, err := tiles.Record(rec.Layer.Kind, body, lc.zoom)
				if err != nil {
					return fmt.Errorf("layer %s: %w", layer, err)
				}
				ent := levelEntity(lc.zoom, m.ID, m.Bound)
				val := append(putBound([]byte{tagLive}, m.Bound), r...)
				if h, ok := had[m.ID]; ok && bytes.Equal(h.ent, ent) {
					delete(had, m.ID)
					if bytes.Equal(h.val, val) {
						continue
					}
				}
				ops[string(ent)] = val
			}
			for _, h := range had {
				if _, set := ops[string(h.ent)]; !set {
					ops[string(h.ent)] = tombstone
				}
			}
		}
		for _, ent := range slices.Sorted(maps.Keys(ops)) {
			ch.put(layer, bucketLevels, []byte(ent), ops[ent])
		}
	}
	ch.levelCells = nil
	return ch.apply(tx)
}

// levelEntity is the key, without its version, of feature id's record in
// the level of zoom z.
func levelEntity(z int, id string, b orb.Bound) []byte {
	return append([]byte{byte(z)}, cellEntity(id, b)...)
}

// drawn calls fn for every record of zoom z in b (a layer's levels bucket,
// nil when it has none) whose bound intersects q, as version at holds it;
// reach is the layer's at that version.
func drawn(b *bbolt.Bucket, z int, q orb.Bound, at uint64, reach [][2]float64, fn func(ent []byte, id string, bound orb.Bound, val []byte) bool) {
	if b == nil {
		return
	}
	c := b.Cursor()
	for l := 0; l <= maxLevel; l++ {
		if k, _ := c.Seek([]byte{byte(z), byte(l)}); k == nil || k[0] != byte(z) || k[1] != byte(l) {
			continue
		}
		ok := scanRanges(c, []byte{byte(z)}, l, q, reach, at, func(ent, val []byte) bool {
			bd, ok := bodyBound(val)
			if !ok || !bd.Intersects(q) {
				return true
			}
			return fn(ent, string(ent[1+cellKeyLen:len(ent)-1]), bd, val)
		})
		if !ok {
			return
		}
	}
}

// ReadTiles runs fn with layer id of this view's version, as tiles read
// it, in one read transaction.
func (v view) ReadTiles(ctx context.Context, id string, fn func(tiles.Stored) error) error {
	return v.read(func(tx *bbolt.Tx, at uint64) error {
		rec, err := layerAt(tx, id, at)
		if err != nil {
			return err
		}
		var lb *bbolt.Bucket
		if top := tx.Bucket(bucketLevels); top != nil {
			lb = top.Bucket([]byte(id))
		}
		return fn(&storedTiles{layerIndex: layerIndex{rec: rec, at: at, bodies: bodiesOf(tx, id), ids: idsOf(tx, id)}, levels: lb})
	})
}

var _ tiles.Store = view{}

type storedTiles struct {
	layerIndex
	levels *bbolt.Bucket
}

func (st *storedTiles) Drawn(z int, q orb.Bound, fn func(id string, bound orb.Bound, rec []byte) bool) error {
	drawn(st.levels, z, q, st.at, st.rec.Reach, func(_ []byte, id string, b orb.Bound, val []byte) bool {
		return fn(id, b, val[33:])
	})
	return nil
}

// checkLevels verifies, at version at, that every layer's level records
// are exactly those its features imply.
func checkLevels(tx *bbolt.Tx, at uint64) error {
	var errs []error
	err := walk(tx.Bucket(bucketLayers), nil, at, func(lent, val []byte) error {
		layer := firstPart(lent)
		var rec layerRecord
		if err := decodeJSON(val, &rec); err != nil {
			return err
		}
		li := &layerIndex{rec: rec, at: at, bodies: bodiesOf(tx, layer), ids: idsOf(tx, layer)}
		var lb *bbolt.Bucket
		if top := tx.Bucket(bucketLevels); top != nil {
			lb = top.Bucket([]byte(layer))
		}
		world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
		for _, z := range tiles.Levels() {
			cells := map[[2]int][]tiles.Member{}
			if err := li.Search(world, func(id string, b orb.Bound) bool {
				c := tiles.Cell(z, b)
				cells[c] = append(cells[c], tiles.Member{ID: id, Bound: b})
				return true
			}); err != nil {
				return err
			}
			want := map[string][]byte{}
			for _, ms := range cells {
				for _, m := range tiles.Kept(ms) {
					body, ok, err := li.Body(m.ID)
					if err != nil || !ok {
						return fmt.Errorf("layer %s: body of %s: %v", layer, m.ID, err)
					}
					r, err := tiles.Record(rec.Layer.Kind, body, z)
					if err != nil {
						return err
					}
					want[string(levelEntity(z, m.ID, m.Bound))] = append(putBound([]byte{tagLive}, m.Bound), r...)
				}
			}
			got := map[string]bool{}
			drawn(lb, z, world, at, rec.Reach, func(ent []byte, id string, _ orb.Bound, val []byte) bool {
				got[string(ent)] = true
				w, ok := want[string(ent)]
				switch {
				case len(errs) >= maxProblems:
				case !ok:
					errs = append(errs, fmt.Errorf("layer %s: zoom %d level holds %s, which its cell does not keep", layer, z, id))
				case !bytes.Equal(w, val):
					errs = append(errs, fmt.Errorf("layer %s: zoom %d level holds a stale record of %s", layer, z, id))
				}
				return true
			})
			for ent := range want {
				if !got[ent] && len(errs) < maxProblems {
					errs = append(errs, fmt.Errorf("layer %s: zoom %d level lacks %s", layer, z, ent[1+cellKeyLen:len(ent)-1]))
				}
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("generalized levels: %w", joinErrs(errs))
}

func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more)", errs[0], len(errs)-1)
}

var _ layers.LayerIndex = (*storedTiles)(nil)
