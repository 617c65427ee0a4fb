package bolt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// change is one data version being built. Its records are computed in read
// transactions against the latest committed version (base), each compared
// with what base holds so only what differs is written, and then written.
type change struct {
	base, ver uint64
	puts      []put
	layers    map[string]*layerChange
	passages  map[string]bool // passages this version writes
	sources   map[string]bool // sources this version writes
	// incremental is set for a publish: layer statistics follow each
	// change rather than being counted over a whole import.
	incremental bool
	// flushed is set once some puts were written before the version's last
	// transaction: meta's pending names the version, so a crash is undone.
	flushed bool
	// sourceOf names a passage's source as the new version will hold it:
	// a feature's stored body counts the sources of its claims.
	sourceOf func(passage string) string
	// staged is the size of puts, in bytes.
	staged int
	// bodies, during an import, sorts the bodies it writes (see sorter.go);
	// otherwise they are staged with the other puts.
	bodies *sorter
	// fill is the FillPercent of the buckets written (0: bbolt's default).
	// An import appends mostly in key order: full pages waste no space.
	fill float64
	// levelCells are the cells of the generalized levels this version's
	// feature changes touch, by layer (levels.go).
	levelCells map[string]map[levelCell]struct{}
	// levelLimit, during an import, is how many cells of a layer are
	// followed; past it the layer is in levelWhole, its levels rebuilt
	// from its bodies (build.go).
	levelLimit int
	levelWhole map[string]bool
}

type put struct {
	layer    string // a layer's bucket inside bucket, or "" for bucket itself
	bucket   []byte // nil for features
	key, val []byte
}

// layerChange is what a version does to one layer.
type layerChange struct {
	hash    hash.Hash // every record written for the layer, and the evidence it shows that changed
	touched bool      // some feature changed
	desc    *layers.Layer
	// full, when set, is the layer's statistics counted over all its
	// features (an import). Otherwise the stored statistics are updated
	// with what was removed and added (a publish), or counted again when a
	// removed feature lay on the edge of the bound or time span.
	full           *stats
	removed, added []featureFacts
}

func newChange(base uint64) *change {
	return &change{base: base, ver: base + 1, layers: map[string]*layerChange{},
		passages: map[string]bool{}, sources: map[string]bool{}}
}

func (ch *change) layer(id string) *layerChange {
	lc := ch.layers[id]
	if lc == nil {
		lc = &layerChange{hash: sha256.New()}
		ch.layers[id] = lc
	}
	return lc
}

func (ch *change) put(layer string, bucket, entity, val []byte) []byte {
	k := vkey(entity, ch.ver)
	p := put{layer: layer, bucket: bucket, key: k, val: val}
	if ch.bodies != nil && bytes.Equal(bucket, bucketBodies) {
		ch.bodies.add(p)
		return k
	}
	ch.puts = append(ch.puts, p)
	ch.staged += len(layer) + len(k) + len(val) + 64
	return k
}

// putFeature stages f unless base holds it unchanged.
func (ch *change) putFeature(tx *bbolt.Tx, layer string, f layers.Feature) error {
	return ch.putEncoded(tx, layer, f, encoded{})
}

// putEncoded is putFeature given what encodeAll made of f (or nothing).
func (ch *change) putEncoded(tx *bbolt.Tx, layer string, f layers.Feature, enc encoded) error {
	val := enc.val
	if val == nil {
		var err error
		if val, err = encodeFeature(f); err != nil {
			return err
		}
	}
	ent := prefix(f.ID)
	_, old := lookup(tx.Bucket(bucketFeatures).Bucket([]byte(layer)), ent, ch.base)
	if old != nil && bytes.Equal(old, val) {
		return nil
	}
	lc := ch.layer(layer)
	var oldPassages []string
	if old != nil {
		of, err := ch.facts(layer, f.ID, old)
		if err != nil {
			return err
		}
		if ch.incremental {
			lc.removed = append(lc.removed, of)
		}
		oldPassages = of.passages
	}
	nf := factsOf(f)
	if ch.incremental {
		lc.added = append(lc.added, nf)
	}
	k := ch.put(layer, nil, ent, val)
	lc.hash.Write(k)
	lc.hash.Write(val)
	lc.touched = true
	ch.cite(layer, f.ID, oldPassages, nf.passages)
	if err := ch.touchLevels(layer, old, f.Geometry); err != nil {
		return err
	}
	return ch.putDerived(tx, layer, f, enc.body)
}

// encoded is a feature's record and body, encoded ahead of staging.
type encoded struct{ val, body []byte }

// encodeAll encodes the records and bodies of a batch on every core, in
// contiguous parts so each worker's features stay together; staging them
// (bbolt lookups in one transaction) stays on one goroutine, in order.
func encodeAll(batch []layers.Feature, sourceOf func(passage string) string) ([]encoded, error) {
	out := make([]encoded, len(batch))
	workers := min(runtime.GOMAXPROCS(0), (len(batch)+63)/64)
	if workers <= 1 {
		return out, encodeRange(batch, out, sourceOf)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		lo, hi := i*len(batch)/workers, (i+1)*len(batch)/workers
		wg.Go(func() { errs[i] = encodeRange(batch[lo:hi], out[lo:hi], sourceOf) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func encodeRange(batch []layers.Feature, out []encoded, sourceOf func(passage string) string) error {
	for i, f := range batch {
		g, err := wkb.Marshal(f.Geometry, binary.LittleEndian)
		if err != nil {
			return fmt.Errorf("feature %s: %w", f.ID, err)
		}
		if out[i].val, err = encodeFeatureWKB(f, g); err != nil {
			return err
		}
		if out[i].body, err = encodeBodyWKB(f, sourceOf, g); err != nil {
			return err
		}
	}
	return nil
}

// deleteFeature stages a tombstone for a feature base holds, and reports
// whether it held it.
func (ch *change) deleteFeature(tx *bbolt.Tx, layer, id string) (bool, error) {
	ent := prefix(id)
	_, old := lookup(tx.Bucket(bucketFeatures).Bucket([]byte(layer)), ent, ch.base)
	if old == nil {
		return false, nil
	}
	of, err := ch.facts(layer, id, old)
	if err != nil {
		return false, err
	}
	lc := ch.layer(layer)
	if ch.incremental {
		lc.removed = append(lc.removed, of)
	}
	k := ch.put(layer, nil, ent, tombstone)
	lc.hash.Write(k)
	lc.hash.Write(tombstone)
	lc.touched = true
	ch.cite(layer, id, of.passages, nil)
	ch.deleteDerived(tx, layer, id)
	return true, ch.touchLevels(layer, old, nil)
}

// facts reads what the layer statistics and the index need of a stored
// feature: only its passages when the statistics are counted afresh.
func (ch *change) facts(layer, id string, val []byte) (featureFacts, error) {
	if ch.incremental {
		return storedFacts(layer, id, val)
	}
	cs, err := featureClaims(layer, id, val)
	return factsOf(layers.Feature{Claims: cs, Geometry: orb.Point{}}), err
}

// cite stages the changes to the passage -> feature index.
func (ch *change) cite(layer, id string, old, cur []string) {
	for _, p := range cur {
		if !slices.Contains(old, p) {
			ch.put("", bucketCites, prefix(p, layer, id), []byte{tagLive})
		}
	}
	for _, p := range old {
		if !slices.Contains(cur, p) {
			ch.put("", bucketCites, prefix(p, layer, id), tombstone)
		}
	}
}

// putSource and putPassage stage a record unless base holds it unchanged.
func (ch *change) putSource(tx *bbolt.Tx, src layers.Source) error {
	if ch.putRecord(tx, bucketSources, src.ID, src) {
		ch.sources[src.ID] = true
	}
	return nil
}

func (ch *change) putPassage(tx *bbolt.Tx, p layers.Passage) error {
	if ch.putRecord(tx, bucketPassages, p.ID, p) {
		ch.passages[p.ID] = true
	}
	return nil
}

func (ch *change) putRecord(tx *bbolt.Tx, bucket []byte, id string, v any) bool {
	val, err := liveJSON(v)
	if err != nil {
		return false
	}
	ent := prefix(id)
	if _, old := lookup(tx.Bucket(bucket), ent, ch.base); old != nil && bytes.Equal(old, val) {
		return false
	}
	ch.put("", bucket, ent, val)
	return true
}

// apply writes the staged records.
func (ch *change) apply(tx *bbolt.Tx) error {
	// In key order: bbolt then fills each page it touches once.
	slices.SortStableFunc(ch.puts, comparePuts)
	var w putter
	for _, p := range ch.puts {
		if err := w.put(tx, p, ch.fill); err != nil {
			return err
		}
	}
	clear(ch.puts)
	ch.puts, ch.staged = ch.puts[:0], 0
	return nil
}

// putter writes puts into their buckets, keeping the last bucket open.
type putter struct {
	cur     *bbolt.Bucket
	curName string
	curTop  []byte
}

func (w *putter) put(tx *bbolt.Tx, p put, fill float64) error {
	if w.cur == nil || p.layer != w.curName || !bytes.Equal(p.bucket, w.curTop) {
		w.curName, w.curTop = p.layer, p.bucket
		top := p.bucket
		if top == nil {
			top = bucketFeatures
		}
		w.cur = tx.Bucket(top)
		if p.layer != "" {
			var err error
			if w.cur, err = w.cur.CreateBucketIfNotExists([]byte(p.layer)); err != nil {
				return fmt.Errorf("layer %s: %w", p.layer, err)
			}
		}
		if fill > 0 {
			w.cur.FillPercent = fill
		}
	}
	return w.cur.Put(p.key, p.val)
}

// flush writes the staged records ahead of the version's last transaction,
// marking the version pending so a crash is undone at the next open.
func (ch *change) flush(db *bbolt.DB) error {
	if len(ch.puts) == 0 {
		return nil
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(keyPending, u64(ch.ver)); err != nil {
			return err
		}
		return ch.apply(tx)
	})
	if err == nil {
		ch.flushed = true
	}
	return err
}

// rollback deletes what flush wrote of a version that will not complete.
func (ch *change) rollback(db *bbolt.DB) error {
	if !ch.flushed {
		return nil
	}
	return db.Update(func(tx *bbolt.Tx) error { return discard(tx, ch.base) })
}

// finish writes the rest of the version in its last transaction: the staged
// records, the layer descriptions that changed, the version's record, and
// the move of meta's version that makes it visible.
func (ch *change) finish(tx *bbolt.Tx, info layers.VersionInfo) error {
	if err := ch.apply(tx); err != nil {
		return err
	}
	if err := ch.evidence(tx); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(ch.layers)) {
		if err := ch.writeLayer(tx, id, ch.layers[id]); err != nil {
			return fmt.Errorf("layer %s: %w", id, err)
		}
	}
	if err := ch.apply(tx); err != nil {
		return err
	}
	if err := ch.writeLevels(tx); err != nil {
		return fmt.Errorf("generalized levels: %w", err)
	}
	info.Version = int(ch.ver)
	b, err := json.Marshal(versionRecord{info})
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketVersions).Put(u64(ch.ver), b); err != nil {
		return err
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Delete(keyPending); err != nil {
		return err
	}
	return meta.Put(keyVersion, u64(ch.ver))
}

// evidence folds each changed passage and source into the revision of every
// layer that shows it: a quote is part of every response that cites it.
func (ch *change) evidence(tx *bbolt.Tx) error {
	passages := maps.Clone(ch.passages)
	if len(ch.sources) > 0 {
		if err := walk(tx.Bucket(bucketPassages), nil, ch.ver, func(ent, val []byte) error {
			var p layers.Passage
			if err := decodeJSON(val, &p); err != nil {
				return fmt.Errorf("decode passage %s: %w", ent, err)
			}
			if ch.sources[p.Source] {
				passages[p.ID] = true
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for _, pid := range slices.Sorted(maps.Keys(passages)) {
		_, pval := lookup(tx.Bucket(bucketPassages), prefix(pid), ch.ver)
		var p layers.Passage
		if pval != nil {
			if err := decodeJSON(pval, &p); err != nil {
				return fmt.Errorf("decode passage %s: %w", pid, err)
			}
		}
		_, sval := lookup(tx.Bucket(bucketSources), prefix(p.Source), ch.ver)
		// A passage that moved to another source changes the source_count
		// in the bodies of the features citing it.
		moved := false
		if old, err := passageAt(tx, pid, ch.base); err == nil && old.Source != p.Source {
			moved = true
		}
		seen := map[string]bool{}
		if err := walk(tx.Bucket(bucketCites), prefix(pid), ch.base, func(ent, _ []byte) error {
			ps := parts(ent)
			if len(ps) != 3 {
				return nil
			}
			if moved {
				if err := ch.refreshBody(tx, ps[1], ps[2]); err != nil {
					return err
				}
			}
			if seen[ps[1]] {
				return nil
			}
			seen[ps[1]] = true
			lc := ch.layer(ps[1])
			lc.hash.Write([]byte("evidence\x00" + pid + "\x00"))
			lc.hash.Write(pval)
			if ch.sources[p.Source] {
				lc.hash.Write(sval)
			}
			lc.touched = true
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// writeLayer stages a layer's new description when anything of it changed.
func (ch *change) writeLayer(tx *bbolt.Tx, id string, lc *layerChange) error {
	var old layerRecord
	_, oval := lookup(tx.Bucket(bucketLayers), prefix(id), ch.base)
	if oval != nil {
		if err := decodeJSON(oval, &old); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
	} else if lc.desc == nil {
		return fmt.Errorf("features written to a layer that does not exist")
	}
	rec := layerRecord{Layer: old.Layer}
	if lc.desc != nil {
		rec.Layer = *lc.desc
	}
	st := stats{count: old.Layer.Count, bound: old.Layer.Bound, from: old.Layer.Temporal[0], maxTo: old.MaxTo, open: old.Open, queryables: maps.Clone(old.Queryables)}
	for _, t := range old.Types {
		st.types.AddName(t)
	}
	copy(st.reach[:], old.Reach)
	rescan := false
	for _, ff := range lc.removed {
		rescan = rescan || st.edge(ff)
	}
	switch {
	case lc.full != nil:
		st = *lc.full
	case rescan:
		st = stats{}
		if err := walk(tx.Bucket(bucketFeatures).Bucket([]byte(id)), nil, ch.ver, func(ent, val []byte) error {
			ff, err := storedFacts(id, firstPart(ent), val)
			st.add(ff)
			return err
		}); err != nil {
			return err
		}
	default:
		for _, ff := range lc.removed {
			st.count--
			if ff.from != "" && ff.to == "" {
				st.open--
			}
		}
		for _, ff := range lc.added {
			st.add(ff)
		}
	}
	rec.Layer.Count, rec.Layer.Bound = st.count, st.bound
	if st.count == 0 {
		rec.Layer.Bound = orb.Bound{}
	}
	rec.Layer.Temporal = [2]string{st.from, st.maxTo}
	if st.open > 0 {
		rec.Layer.Temporal[1] = ""
	}
	rec.Open, rec.MaxTo, rec.Queryables, rec.Types = st.open, st.maxTo, st.queryables, st.types.Names()
	if st.count > 0 {
		rec.Reach = st.reach[:]
	}
	rec.Layer.Revision, rec.Layer.Version = old.Layer.Revision, old.Layer.Version
	if oval != nil && !lc.touched {
		if b, _ := json.Marshal(rec); bytes.Equal(b, oval[1:]) {
			return nil // unchanged
		}
	}
	desc, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	lc.hash.Write(desc)
	sum := sha256.Sum256(append([]byte(old.Layer.Revision+"\x00"), lc.hash.Sum(nil)...))
	rec.Layer.Revision = hex.EncodeToString(sum[:10])
	rec.Layer.Version = int(ch.ver)
	val, err := liveJSON(rec)
	if err != nil {
		return err
	}
	ch.put("", bucketLayers, prefix(id), val)
	return nil
}

// stats is what a layer's description sums up of its features.
type stats struct {
	count       int
	bound       orb.Bound
	from, maxTo string
	open        int
	// queryables maps each flat property to its JSON type. A publish only
	// adds to it; a property no feature has any more goes at the next
	// count over the whole layer.
	queryables map[string]string
	types      geo.TypeSet
	// reach is layerRecord.Reach.
	reach [maxLevel + 1][2]float64
}

func (s *stats) add(ff featureFacts) {
	if s.queryables == nil {
		s.queryables = map[string]string{}
	}
	queryables(s.queryables, ff.props)
	if ff.geometry != nil {
		s.types.Add(ff.geometry)
	}
	r := &s.reach[levelOf(ff.bound)]
	r[0] = max(r[0], (ff.bound.Max[0]-ff.bound.Min[0])/2)
	r[1] = max(r[1], (ff.bound.Max[1]-ff.bound.Min[1])/2)
	if s.count == 0 {
		s.bound = ff.bound
	} else {
		s.bound = s.bound.Union(ff.bound)
	}
	s.count++
	if ff.from != "" && (s.from == "" || ff.from < s.from) {
		s.from = ff.from
	}
	if ff.from != "" && ff.to == "" {
		s.open++
	}
	if ff.to > s.maxTo {
		s.maxTo = ff.to
	}
}

// edge reports whether removing a feature with these facts could shrink
// the statistics: then they are counted again.
func (s *stats) edge(ff featureFacts) bool {
	b := s.bound
	return s.count <= 1 ||
		ff.bound.Min[0] <= b.Min[0] || ff.bound.Min[1] <= b.Min[1] ||
		ff.bound.Max[0] >= b.Max[0] || ff.bound.Max[1] >= b.Max[1] ||
		(ff.from != "" && ff.from == s.from) || (ff.to != "" && ff.to == s.maxTo)
}
