package bolt

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers/tiles"
)

// An import that changes many features of a layer rebuilds the layer's
// stored levels from its bodies instead of cell by cell (levels.go): the
// cell-by-cell way would hold every touched cell, and every record, in
// memory until the version's last transaction. The rebuild runs once the
// bodies are written, ahead of the last transaction, in three passes over
// the new version:
//
//  1. the bodies' keys and bounds, in key order, give each feature's cell
//     at every stored zoom, and so which features each level keeps;
//  2. the kept features' bodies are read again in the same order and
//     generalized on every core, their records sorted through run files
//     like the bodies;
//  3. the sorted records are compared with those the base version holds,
//     and only what differs is written (tombstones for records no longer
//     kept), in transactions of about flushBytes marked pending.
//
// Memory holds the features' ids and bounds and one run of records.

// defaultLevelCells is how many level cells an import follows in a layer
// before it rebuilds the layer's levels whole.
const defaultLevelCells = 1 << 15

// buildLevels rebuilds the levels of the layers the import changed too
// much to follow cell by cell.
func (s *Store) buildLevels(ctx context.Context, ch *change) error {
	if len(ch.levelWhole) == 0 {
		return nil
	}
	// The rebuild reads the new version's bodies from the file.
	if err := ch.flush(s.db); err != nil {
		return err
	}
	s.trim()
	for _, layer := range slices.Sorted(maps.Keys(ch.levelWhole)) {
		var kind string
		if lc := ch.layers[layer]; lc != nil && lc.desc != nil {
			kind = lc.desc.Kind
		} else if err := s.db.View(func(tx *bbolt.Tx) error {
			rec, err := layerAt(tx, layer, ch.base)
			kind = rec.Layer.Kind
			return err
		}); err != nil {
			return fmt.Errorf("layer %s: %w", layer, err)
		}
		if err := s.rebuildLevels(ctx, ch, layer, kind); err != nil {
			return fmt.Errorf("generalized levels of %s: %w", layer, err)
		}
	}
	ch.levelWhole = nil
	return nil
}

// rebuildLevels writes every level record of one layer that differs from
// the base version's.
func (s *Store) rebuildLevels(ctx context.Context, ch *change, layer, kind string) error {
	dir := filepath.Dir(s.path)
	recs := &sorter{dir: dir, runBytes: s.runBytes / 2}
	defer recs.close()
	olds := &sorter{dir: dir, runBytes: s.runBytes / 2}
	defer olds.close()
	err := s.db.View(func(tx *bbolt.Tx) error {
		var lb *bbolt.Bucket
		if top := tx.Bucket(bucketLevels); top != nil {
			lb = top.Bucket([]byte(layer))
		}
		if err := walk(lb, nil, ch.base, func(ent, val []byte) error {
			olds.add(put{layer: layer, bucket: bucketLevels, key: vkey(ent, ch.ver), val: bytes.Clone(val)})
			return nil
		}); err != nil {
			return err
		}
		bodies := bodiesOf(tx, layer)
		ms, err := s.levelMembers(ctx, bodies, ch.ver)
		if err != nil {
			return err
		}
		return s.levelRecords(ctx, bodies, ch.ver, layer, kind, ms, keptMasks(ms), recs)
	})
	if err != nil {
		return err
	}
	nm, err := recs.merged()
	if err != nil {
		return err
	}
	om, err := olds.merged()
	if err != nil {
		return err
	}
	return s.writeDiff(ctx, ch, nm, om)
}

// levelMembers is pass 1: every feature of the version, in key order.
func (s *Store) levelMembers(ctx context.Context, bodies *bbolt.Bucket, at uint64) ([]tiles.Member, error) {
	var ms []tiles.Member
	err := walkFrom(bodies, nil, at, func(ent, val []byte) error {
		b, ok := bodyBound(val)
		if !ok || len(ent) <= cellKeyLen {
			return errCorrupt
		}
		ms = append(ms, tiles.Member{ID: string(ent[cellKeyLen : len(ent)-1]), Bound: b})
		if len(ms)%(1<<16) == 0 {
			s.trim()
			return ctx.Err()
		}
		return nil
	})
	return ms, err
}

// keptMasks says, for each member, at which stored levels (bit i for
// tiles.Levels()[i]) its cell keeps it.
func keptMasks(ms []tiles.Member) []uint8 {
	masks := make([]uint8, len(ms))
	zooms := tiles.Levels()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for zi, z := range zooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := make([]uint64, len(ms))
			order := make([]int32, len(ms))
			for i, m := range ms {
				c := tiles.Cell(z, m.Bound)
				keys[i] = uint64(uint32(c[0]))<<32 | uint64(uint32(c[1]))
				order[i] = int32(i)
			}
			slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
			var kept []int32
			var group []tiles.Member
			for j := 0; j < len(order); {
				k := j + 1
				for k < len(order) && keys[order[k]] == keys[order[j]] {
					k++
				}
				group = group[:0]
				for _, i := range order[j:k] {
					group = append(group, ms[i])
				}
				if km := tiles.Kept(group); len(km) == len(group) {
					kept = append(kept, order[j:k]...)
				} else {
					for _, m := range km {
						for _, i := range order[j:k] {
							if ms[i].ID == m.ID {
								kept = append(kept, i)
								break
							}
						}
					}
				}
				j = k
			}
			mu.Lock()
			for _, i := range kept {
				masks[i] |= 1 << zi
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return masks
}

// levelJob is a run of kept bodies for a worker of pass 2; the values
// alias the read transaction's pages.
type levelJob struct {
	ids   []string
	vals  [][]byte
	masks []uint8
}

// levelRecords is pass 2: the records of every kept feature, computed on
// every core and given to recs.
func (s *Store) levelRecords(ctx context.Context, bodies *bbolt.Bucket, at uint64, layer, kind string, ms []tiles.Member, masks []uint8, recs *sorter) error {
	jobs := make(chan levelJob, 4)
	results := make(chan []put, 4)
	errc := make(chan error, 1)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				var out []put
				for i, id := range job.ids {
					b, err := decodeBody(id, job.vals[i])
					if err != nil {
						fail(fmt.Errorf("body of %s: %w", id, err))
						break
					}
					for zi, z := range tiles.Levels() {
						if job.masks[i]&(1<<zi) == 0 {
							continue
						}
						r, err := tiles.Record(kind, b, z)
						if err != nil {
							fail(err)
							break
						}
						val := append(putBound(append(make([]byte, 0, 33+len(r)), tagLive), b.Bound), r...)
						out = append(out, put{layer: layer, bucket: bucketLevels, key: vkey(levelEntity(z, id, b.Bound), at), val: val})
					}
				}
				results <- out
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for out := range results {
			for _, p := range out {
				recs.add(p)
			}
		}
	}()
	const jobSize = 256
	job := levelJob{}
	i := 0
	var stop error
	err := walkFrom(bodies, nil, at, func(ent, val []byte) error {
		if i >= len(ms) || ms[i].ID != string(ent[cellKeyLen:len(ent)-1]) {
			return fmt.Errorf("the bodies changed while the levels were built")
		}
		if masks[i] != 0 {
			job.ids = append(job.ids, ms[i].ID)
			job.vals = append(job.vals, val)
			job.masks = append(job.masks, masks[i])
			if len(job.ids) == jobSize {
				select {
				case jobs <- job:
				case stop = <-errc:
					return stop
				}
				job = levelJob{}
			}
		}
		if i++; i%(1<<16) == 0 {
			s.trim()
			return ctx.Err()
		}
		return nil
	})
	if err == nil && len(job.ids) > 0 {
		jobs <- job
	}
	close(jobs)
	<-collected
	if err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
	}
	return recs.err
}

// writeDiff is pass 3: it merges the new records (nm) with the base's (om,
// keyed as the new version would write them) and writes what differs.
func (s *Store) writeDiff(ctx context.Context, ch *change, nm, om *merger) error {
	n, nok, err := nm.next()
	if err != nil {
		return err
	}
	o, ook, err := om.next()
	if err != nil {
		return err
	}
	for more := true; more; {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(func(tx *bbolt.Tx) error {
			if err := tx.Bucket(bucketMeta).Put(keyPending, u64(ch.ver)); err != nil {
				return err
			}
			var w putter
			for written := 0; written < s.flushBytes; {
				var p put
				var err error
				switch c := cmpKeys(n, nok, o, ook); {
				case !nok && !ook:
					more = false
					return nil
				case c < 0:
					p = n
					n, nok, err = nm.next()
				case c > 0:
					p = o
					p.val = tombstone
					o, ook, err = om.next()
				default:
					same := bytes.Equal(n.val, o.val)
					p = n
					if n, nok, err = nm.next(); err == nil {
						o, ook, err = om.next()
					}
					if same && err == nil {
						continue
					}
				}
				if err != nil {
					return err
				}
				if err := w.put(tx, p, ch.fill); err != nil {
					return err
				}
				written += len(p.key) + len(p.val)
			}
			return nil
		})
		if err != nil {
			return err
		}
		ch.flushed = true
		s.trim()
	}
	return nil
}

// cmpKeys orders the heads of two sorted streams, an ended one last.
func cmpKeys(n put, nok bool, o put, ook bool) int {
	switch {
	case !nok:
		return 1
	case !ook:
		return -1
	}
	return bytes.Compare(n.key, o.key)
}
