package bolt

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// Import writes a new data version. Sources and passages are checked first
// against what is stored (a new text for a stored source must still hold its
// stored passages); then each layer streams into a bucket of its own in
// batches, every feature checked on the way; a last transaction makes the
// new version current. Any problem deletes the new buckets: the store holds
// what it held before.
func (s *Store) Import(ctx context.Context, imp *layers.Import, progress func(int)) (int, error) {
	passages, err := s.checkEvidence(imp)
	if err != nil {
		return 0, err
	}
	exists := func(id string) bool { return passages[id] }

	var (
		writers  []*layerWriter
		problems layers.Problems
		read     int
	)
	// cleanup deletes the buckets full batches were written to.
	cleanup := func() {
		if !slices.ContainsFunc(writers, func(w *layerWriter) bool { return w.bucket != "" }) {
			return // nothing was written
		}
		s.db.Update(func(tx *bbolt.Tx) error {
			for _, w := range writers {
				if w.bucket != "" {
					tx.Bucket(bucketData).DeleteBucket([]byte(w.bucket))
				}
			}
			return nil
		})
	}
	for _, li := range imp.Layers {
		w, ps, err := s.streamLayer(ctx, li, exists, func(n int) {
			if progress != nil {
				progress(read + n)
			}
		})
		writers = append(writers, w)
		read += w.count
		if err != nil {
			cleanup()
			return 0, err
		}
		problems = append(problems, ps...)
		if len(problems) >= maxProblems {
			break
		}
	}
	if errs := problems.Errors(); len(errs) > 0 {
		cleanup()
		return 0, errs
	}

	// One transaction writes the last batches and makes the version current.
	var version int
	err = s.db.Update(func(tx *bbolt.Tx) error {
		prev, err := readVersion(tx, currentVersion(tx))
		if err != nil {
			return err
		}
		version = currentVersion(tx) + 1
		rec := versionRecord{Version: version, Time: time.Now().UTC().Format(time.RFC3339)}
		replaced := map[string]bool{}
		for _, w := range writers {
			ref, err := w.finish(tx)
			if err != nil {
				return fmt.Errorf("write layer %s: %w", w.layer.ID, err)
			}
			ref.Layer.Version = version
			rec.Layers = append(rec.Layers, ref)
			replaced[ref.Layer.ID] = true
		}
		for _, old := range prev.Layers {
			if !replaced[old.Layer.ID] {
				rec.Layers = append(rec.Layers, old)
			}
		}
		for _, src := range imp.Sources {
			if err := putJSON(tx.Bucket(bucketSources), []byte(src.ID), src); err != nil {
				return err
			}
		}
		for _, p := range imp.Passages {
			p.Verified = layers.VerifiedExact // checkEvidence refused anything else
			if err := putJSON(tx.Bucket(bucketPassages), []byte(p.ID), p); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bucketVersions), u64(uint64(version)), rec); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, u64(uint64(version)))
	})
	if err != nil {
		cleanup()
		return 0, err
	}
	s.latest.Store(int64(version))
	return version, nil
}

// checkEvidence checks the import's sources and passages joined with the
// stored ones, and returns every passage id the new version will have.
func (s *Store) checkEvidence(imp *layers.Import) (map[string]bool, error) {
	d := layers.NewDataset()
	err := s.db.View(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
			var src layers.Source
			if err := json.Unmarshal(v, &src); err != nil {
				return fmt.Errorf("decode source %s: %w", k, err)
			}
			d.Sources = append(d.Sources, src)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketPassages).ForEach(func(k, v []byte) error {
			var p layers.Passage
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode passage %s: %w", k, err)
			}
			d.Passages = append(d.Passages, p)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	d.Merge(&layers.Dataset{Sources: imp.Sources, Passages: imp.Passages, Features: map[string][]layers.Feature{}})
	if ps := layers.CheckEvidence(d.Sources, d.Passages, nil); len(ps) > 0 {
		return nil, ps
	}
	ids := make(map[string]bool, len(d.Passages))
	for _, p := range d.Passages {
		ids[p.ID] = true
	}
	return ids, nil
}

// layerWriter accumulates one layer's features and writes them in batches
// into a new bucket.
type layerWriter struct {
	db       *bbolt.DB
	layer    layers.Layer
	bucket   string
	batch    []layers.Feature
	hash     hash.Hash
	bound    orb.Bound
	count    int
	from, to string
	openEnd  bool
}

// flush writes the batch in a transaction of its own.
func (w *layerWriter) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	return w.db.Update(w.write)
}

// write writes the batch, creating the layer's bucket first if need be.
func (w *layerWriter) write(tx *bbolt.Tx) error {
	data := tx.Bucket(bucketData)
	if w.bucket == "" {
		seq, err := data.NextSequence()
		if err != nil {
			return err
		}
		w.bucket = "L" + strconv.FormatUint(seq, 10)
	}
	b, err := data.CreateBucketIfNotExists([]byte(w.bucket))
	if err != nil {
		return err
	}
	fb, err := b.CreateBucketIfNotExists(subFeatures)
	if err != nil {
		return err
	}
	cb, err := b.CreateBucketIfNotExists(subClaims)
	if err != nil {
		return err
	}
	ib, err := b.CreateBucketIfNotExists(subIndex)
	if err != nil {
		return err
	}
	for _, f := range w.batch {
		g, err := wkb.Marshal(f.Geometry, binary.LittleEndian)
		if err != nil {
			return fmt.Errorf("feature %s: %w", f.ID, err)
		}
		v, err := json.Marshal(record{ID: f.ID, Properties: f.Properties, WKB: g})
		if err != nil {
			return fmt.Errorf("feature %s: %w", f.ID, err)
		}
		if err := fb.Put([]byte(f.ID), v); err != nil {
			return err
		}
		w.hash.Write(v)
		for _, c := range f.Claims {
			c.Layer, c.Feature = "", f.ID // the layer is the bucket's
			cv, err := json.Marshal(c)
			if err != nil {
				return err
			}
			w.hash.Write(cv)
			if err := cb.Put(key(f.ID, c.Passage, c.Aspect), cv); err != nil {
				return err
			}
			if err := ib.Put(key(c.Passage, f.ID), nil); err != nil {
				return err
			}
		}
	}
	w.batch = w.batch[:0]
	return nil
}

// finish writes what is left in tx and returns the layer as written.
func (w *layerWriter) finish(tx *bbolt.Tx) (layerRef, error) {
	if err := w.write(tx); err != nil {
		return layerRef{}, err
	}
	if w.openEnd {
		w.to = ""
	}
	l := w.layer
	meta, _ := json.Marshal(l)
	w.hash.Write(meta)
	l.Count, l.Bound = w.count, w.bound
	l.Revision = hex.EncodeToString(w.hash.Sum(nil))[:20]
	l.Temporal = [2]string{w.from, w.to}
	return layerRef{Layer: l, Bucket: w.bucket}, nil
}

func (w *layerWriter) add(f layers.Feature) {
	b := f.Geometry.Bound()
	if w.count == 0 {
		w.bound = b
	} else {
		w.bound = w.bound.Union(b)
	}
	w.count++
	vf, _ := f.Properties["valid_from"].(string)
	vt, _ := f.Properties["valid_to"].(string)
	if vf != "" && (w.from == "" || vf < w.from) {
		w.from = vf
	}
	if vf != "" && vt == "" {
		w.openEnd = true
	}
	if vt > w.to {
		w.to = vt
	}
	w.batch = append(w.batch, f)
}

// streamLayer reads one layer, checks each feature and, while no problem
// has been seen, writes full batches. The last partial batch stays in the
// writer, so a small import writes nothing until everything is checked.
func (s *Store) streamLayer(ctx context.Context, li layers.LayerImport, exists func(string) bool, progress func(int)) (*layerWriter, layers.Problems, error) {
	w := &layerWriter{db: s.db, hash: sha256.New()}
	var ps layers.Problems
	var cit layers.Citation
	seen := map[string]struct{}{}
	for f, ferr := range li.Features {
		if len(ps) >= maxProblems {
			break
		}
		if ferr != nil {
			var fe *layers.FeatureError
			if errors.As(ferr, &fe) {
				ps = append(ps, layers.Problem{File: li.File, Kind: "feature", ID: fmt.Sprintf("%s (feature %d)", orUnknown(fe.ID), fe.Index), Message: fe.Err.Error()})
				continue
			}
			ps = append(ps, layers.Problem{File: li.File, Kind: "layer", ID: li.File, Message: ferr.Error()})
			break // the stream cannot go on
		}
		if _, dup := seen[f.ID]; dup {
			ps = append(ps, layers.Problem{File: li.File, Kind: "feature", ID: f.ID, Message: "duplicate feature id in layer"})
		}
		seen[f.ID] = struct{}{}
		for _, m := range layers.CheckFeature(f, exists) {
			ps = append(ps, layers.Problem{File: li.File, Kind: "feature", ID: f.ID, Message: m})
		}
		cit.Add(f)
		if len(ps) > 0 {
			continue // keep checking, stop writing
		}
		w.add(f)
		if len(w.batch) >= batchSize {
			if err := ctx.Err(); err != nil {
				return w, nil, err
			}
			if err := w.flush(); err != nil {
				return w, nil, fmt.Errorf("write %s: %w", li.File, err)
			}
			progress(w.count)
		}
	}
	l := li.Layer()
	for _, m := range layers.CheckLayer(l) {
		ps = append(ps, layers.Problem{File: li.File, Kind: "layer", ID: l.ID, Message: m})
	}
	uncited, unsupported := cit.Result(l)
	for _, fid := range unsupported {
		ps = append(ps, layers.Problem{File: li.File, Kind: "feature", ID: fid,
			Message: "has no supporting passage: every feature of a cited layer must cite its evidence"})
	}
	for i := range ps {
		if ps[i].Kind == "feature" {
			ps[i].ID = l.ID + "/" + ps[i].ID
		}
	}
	progress(w.count)
	l.Uncited = uncited
	w.layer = l
	return w, ps, nil
}

func orUnknown(id string) string {
	if id == "" {
		return "?"
	}
	return id
}
