package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// Publish writes c as one new data version in one transaction, after
// checking that the version it makes keeps every invariant import checks.
// It reads and writes only what c names (and, for a changed passage or
// source, the index entries of the features citing it).
func (s *Store) Publish(ctx context.Context, c *layers.Change) (int, error) {
	if c == nil || len(c.Sources)+len(c.Passages)+len(c.Layers)+len(c.Upserts)+len(c.Deletes) == 0 {
		return 0, layers.Errorf(layers.EINVALID, "nothing to publish: the change is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ch *change
	err := s.db.View(func(tx *bbolt.Tx) error {
		ch = newChange(currentVersion(tx))
		ch.incremental = true
		return ch.stagePublish(tx, c)
	})
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	info := layers.VersionInfo{Time: time.Now().UTC().Truncate(time.Millisecond),
		Author: c.Author, Message: c.Message, Changeset: c.Changeset}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		if currentVersion(tx) != ch.base {
			return layers.Errorf(layers.ECONFLICT, "the data changed while the change was checked")
		}
		return ch.finish(tx, info)
	})
	if err != nil {
		return 0, err
	}
	s.latest.Store(int64(ch.ver))
	return int(ch.ver), nil
}

// stagePublish checks c against base and stages its records.
func (ch *change) stagePublish(tx *bbolt.Tx, c *layers.Change) error {
	var ps layers.Problems
	problem := func(kind, id, format string, args ...any) {
		ps = append(ps, layers.Problem{Kind: kind, ID: id, Message: fmt.Sprintf(format, args...)})
	}

	// Evidence: the sources the change touches, with all their passages.
	newSources := map[string]layers.Source{}
	for _, src := range c.Sources {
		if _, dup := newSources[src.ID]; dup {
			problem("source", src.ID, "given twice in the change")
		}
		newSources[src.ID] = src
	}
	newPassages := map[string]layers.Passage{}
	affected := map[string]bool{}
	for id := range newSources {
		affected[id] = true
	}
	for _, p := range c.Passages {
		if _, dup := newPassages[p.ID]; dup {
			problem("passage", p.ID, "given twice in the change")
		}
		newPassages[p.ID] = p
		affected[p.Source] = true
		if old, err := passageAt(tx, p.ID, ch.base); err == nil {
			affected[old.Source] = true
		}
	}
	if len(affected) > 0 {
		var srcs []layers.Source
		for _, id := range slices.Sorted(maps.Keys(affected)) {
			if src, ok := newSources[id]; ok {
				srcs = append(srcs, src)
			} else if src, err := sourceAt(tx, id, ch.base); err == nil {
				srcs = append(srcs, src)
			}
		}
		var passages []layers.Passage
		if err := walk(tx.Bucket(bucketPassages), nil, ch.base, func(ent, val []byte) error {
			var p layers.Passage
			if err := decodeJSON(val, &p); err != nil {
				return fmt.Errorf("decode passage %s: %w", ent, err)
			}
			if _, replaced := newPassages[p.ID]; affected[p.Source] && !replaced {
				passages = append(passages, p)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, p := range c.Passages {
			passages = append(passages, p)
		}
		ps = append(ps, layers.CheckEvidence(srcs, passages, nil)...)
	}
	exists := func(id string) bool {
		if _, ok := newPassages[id]; ok {
			return true
		}
		_, err := passageAt(tx, id, ch.base)
		return err == nil
	}
	stored := sourcesAt(tx, ch.base)
	ch.sourceOf = func(id string) string {
		if p, ok := newPassages[id]; ok {
			return p.Source
		}
		return stored(id)
	}

	// Layers.
	newLayers := map[string]layers.Layer{}
	for _, l := range c.Layers {
		for _, m := range layers.CheckLayer(l) {
			problem("layer", l.ID, "%s", m)
		}
		if _, dup := newLayers[l.ID]; dup {
			problem("layer", l.ID, "given twice in the change")
		}
		newLayers[l.ID] = l
	}
	layerOf := func(id string) (layers.Layer, bool) {
		if l, ok := newLayers[id]; ok {
			return l, true
		}
		rec, err := layerAt(tx, id, ch.base)
		return rec.Layer, err == nil
	}

	// Features.
	touched := map[layers.FeatureKey]bool{}
	for _, f := range c.Upserts {
		key := layers.FeatureKey{Layer: f.Layer, ID: f.ID}
		name := f.Layer + "/" + f.ID
		l, ok := layerOf(f.Layer)
		if !ok {
			problem("feature", name, "layer %q does not exist", f.Layer)
			continue
		}
		if touched[key] {
			problem("feature", name, "given twice in the change")
		}
		touched[key] = true
		for _, m := range layers.CheckFeature(f, exists) {
			problem("feature", name, "%s", m)
		}
		if l.Cited() {
			var cit layers.Citation
			cit.Add(f)
			_, unsupported := cit.Result(l, "")
			for _, p := range unsupported {
				problem("feature", name, "%s", p.Message)
			}
		}
	}
	for _, k := range c.Deletes {
		name := k.Layer + "/" + k.ID
		if touched[k] {
			problem("feature", name, "both changed and deleted in the change")
			continue
		}
		touched[k] = true
		if _, err := layerAt(tx, k.Layer, ch.base); err != nil {
			problem("feature", name, "layer %q does not exist", k.Layer)
			continue
		}
		if _, val := lookup(tx.Bucket(bucketFeatures).Bucket([]byte(k.Layer)), prefix(k.ID), ch.base); val == nil || !layers.ValidID(k.ID) {
			problem("feature", name, "cannot be deleted: it does not exist")
		}
	}
	if len(ps) > 0 {
		return ps
	}

	// Stage what differs from base.
	for _, src := range c.Sources {
		if err := ch.putSource(tx, src); err != nil {
			return err
		}
	}
	for _, p := range c.Passages {
		p.Verified = layers.VerifiedExact // CheckEvidence refused anything else
		if err := ch.putPassage(tx, p); err != nil {
			return err
		}
	}
	for _, l := range c.Layers {
		l.Count, l.Revision, l.Version, l.Temporal = 0, "", 0, [2]string{}
		ch.layer(l.ID).desc = &l
	}
	for _, f := range c.Upserts {
		if err := ch.putFeature(tx, f.Layer, f); err != nil {
			return err
		}
	}
	for _, k := range c.Deletes {
		if _, err := ch.deleteFeature(tx, k.Layer, k.ID); err != nil {
			return err
		}
	}
	return nil
}

// Versions lists every data version, oldest first; pruned ones are marked.
func (s *Store) Versions(ctx context.Context) ([]layers.VersionInfo, error) {
	var out []layers.VersionInfo
	err := s.db.View(func(tx *bbolt.Tx) error {
		latest := currentVersion(tx)
		return tx.Bucket(bucketVersions).ForEach(func(k, val []byte) error {
			if binary.BigEndian.Uint64(k) > latest {
				return nil
			}
			var rec versionRecord
			if err := json.Unmarshal(val, &rec); err != nil {
				return fmt.Errorf("decode version %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, rec.VersionInfo)
			return nil
		})
	})
	return out, err
}

// History lists each data version that wrote the feature, oldest first: a
// pruned version's change stays listed while a kept version still shows it.
func (s *Store) History(ctx context.Context, layer, id string) ([]layers.FeatureVersion, error) {
	var out []layers.FeatureVersion
	err := s.db.View(func(tx *bbolt.Tx) error {
		latest := currentVersion(tx)
		if !layers.ValidID(layer) || !layers.ValidID(id) {
			return layers.Errorf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
		}
		ent := prefix(id)
		b := tx.Bucket(bucketFeatures).Bucket([]byte(layer))
		if b == nil {
			return layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", layer)
		}
		c := b.Cursor()
		for k, val := c.Seek(ent); k != nil && bytes.HasPrefix(k, ent); k, val = c.Next() {
			e, v, ok := split(k)
			if !ok || !bytes.Equal(e, ent) || v > latest {
				continue
			}
			var rec versionRecord
			if raw := tx.Bucket(bucketVersions).Get(u64(v)); raw != nil {
				if err := json.Unmarshal(raw, &rec); err != nil {
					return fmt.Errorf("decode version %d: %w", v, err)
				}
			}
			rec.Version = int(v)
			fv := layers.FeatureVersion{VersionInfo: rec.VersionInfo}
			if live(val) {
				f, err := decodeFeature(layer, id, val)
				if err != nil {
					return err
				}
				fv.Feature = f
			} else {
				fv.Feature = layers.Feature{ID: id, Layer: layer}
				fv.Deleted = true
			}
			out = append(out, fv)
		}
		if len(out) == 0 {
			return layers.Errorf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
		}
		return nil
	})
	return out, err
}

// Prune makes the data versions published before t unreadable, except the
// latest and those in keep, and deletes every record no remaining version
// reads. What a remaining version reads does not change: per entity, the
// record it read is kept. The file does not shrink (bbolt reuses the freed
// pages for later writes).
func (s *Store) Prune(ctx context.Context, before time.Time, keep []int) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var removed []int
	err := s.db.Update(func(tx *bbolt.Tx) error {
		latest := currentVersion(tx)
		kept := map[uint64]bool{latest: true}
		for _, v := range keep {
			if _, err := readVersion(tx, v); err != nil {
				return layers.Errorf(layers.EINVALID, "cannot keep version %d: %s", v, layers.ErrorMessage(err))
			}
			kept[uint64(v)] = true
		}
		var readable []uint64
		recs := map[uint64]versionRecord{}
		vb := tx.Bucket(bucketVersions)
		if err := vb.ForEach(func(k, val []byte) error {
			v := binary.BigEndian.Uint64(k)
			var rec versionRecord
			if err := json.Unmarshal(val, &rec); err != nil {
				return fmt.Errorf("decode version %d: %w", v, err)
			}
			switch {
			case rec.Pruned || v > latest:
			case !kept[v] && rec.Time.Before(before):
				recs[v] = rec
				removed = append(removed, int(v))
			default:
				readable = append(readable, v)
			}
			return nil
		}); err != nil {
			return err
		}
		if len(removed) == 0 {
			return nil
		}
		sweep := func(b *bbolt.Bucket) error { return sweepBucket(b, readable, latest) }
		for _, name := range versioned {
			if err := sweep(tx.Bucket(name)); err != nil {
				return err
			}
		}
		for _, top := range perLayer {
			fb := tx.Bucket(top)
			if err := fb.ForEachBucket(func(name []byte) error { return sweep(fb.Bucket(name)) }); err != nil {
				return err
			}
		}
		for v, rec := range recs {
			rec.Pruned = true
			b, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := vb.Put(u64(v), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Ints(removed)
	return removed, nil
}

// sweepBucket deletes the records of b no readable version reads: a record
// written at v is read by the readable versions from v up to the entity's
// next record; a tombstone with nothing kept before it is not needed either.
func sweepBucket(b *bbolt.Bucket, readable []uint64, latest uint64) error {
	type rec struct {
		key  []byte
		v    uint64
		live bool
	}
	var del [][]byte
	var group []rec
	var cur []byte
	settle := func() {
		first := true
		for i, r := range group {
			next := ^uint64(0)
			if i+1 < len(group) {
				next = group[i+1].v
			}
			j, _ := slices.BinarySearch(readable, r.v)
			needed := r.v > latest || (j < len(readable) && readable[j] < next)
			if needed && first && !r.live {
				needed = false // reads as absent either way
			}
			if needed {
				first = false
			} else {
				del = append(del, r.key)
			}
		}
		group = group[:0]
	}
	c := b.Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		ent, v, ok := split(k)
		if !ok {
			continue
		}
		if !bytes.Equal(ent, cur) {
			settle()
			cur = bytes.Clone(ent)
		}
		group = append(group, rec{key: bytes.Clone(k), v: v, live: live(val)})
	}
	settle()
	for _, k := range del {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
