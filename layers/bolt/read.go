package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// view reads one data version: pinned, or the latest when pinned is 0.
// Every read copies what it returns out of its transaction.
type view struct {
	db     *bbolt.DB
	pinned int
	// latest is the store's current version, kept in memory: the file is
	// locked to this process, so only its own writes change it.
	latest *atomic.Int64
}

var _ layers.Reader = view{}

// read runs fn in a read transaction with the version this view reads.
func (v view) read(fn func(tx *bbolt.Tx, at uint64) error) error {
	return v.db.View(func(tx *bbolt.Tx) error {
		if v.pinned > 0 {
			return fn(tx, uint64(v.pinned))
		}
		return fn(tx, currentVersion(tx))
	})
}

func (v view) Version(ctx context.Context) (int, error) {
	if v.pinned > 0 {
		return v.pinned, nil
	}
	return int(v.latest.Load()), nil
}

func layerAt(tx *bbolt.Tx, id string, at uint64) (layerRecord, error) {
	var rec layerRecord
	_, val := lookup(tx.Bucket(bucketLayers), prefix(id), at)
	if val == nil {
		return rec, layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", id)
	}
	if err := decodeJSON(val, &rec); err != nil {
		return rec, fmt.Errorf("decode layer %s: %w", id, err)
	}
	return rec, nil
}

func (v view) Layers(ctx context.Context) ([]layers.Layer, error) {
	var out []layers.Layer
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		return walk(tx.Bucket(bucketLayers), nil, at, func(ent, val []byte) error {
			var rec layerRecord
			if err := decodeJSON(val, &rec); err != nil {
				return fmt.Errorf("decode layer %s: %w", ent, err)
			}
			out = append(out, rec.Layer)
			return nil
		})
	})
	return out, err
}

func (v view) Layer(ctx context.Context, id string) (layers.Layer, error) {
	var rec layerRecord
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		var err error
		rec, err = layerAt(tx, id, at)
		return err
	})
	return rec.Layer, err
}

func (v view) Features(ctx context.Context, layer string) ([]layers.Feature, error) {
	// Copy the raw records out in the transaction and decode them after,
	// on every core: a layer of a million features decodes in seconds.
	var ids []string
	var raw [][]byte
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		if _, err := layerAt(tx, layer, at); err != nil {
			return err
		}
		return walk(tx.Bucket(bucketFeatures).Bucket([]byte(layer)), nil, at, func(ent, val []byte) error {
			ids = append(ids, firstPart(ent))
			raw = append(raw, bytes.Clone(val))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]layers.Feature, len(raw))
	if err := parallel(len(raw), func(i int) error {
		var err error
		out[i], err = decodeFeature(layer, ids[i], raw[i])
		raw[i] = nil
		return err
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// parallel runs fn(0..n-1) on every core and returns the first error.
func parallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/1000))
	chunk := (n + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w * chunk; i < min(n, (w+1)*chunk); i++ {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (v view) Feature(ctx context.Context, layer, id string) (layers.Feature, error) {
	var f layers.Feature
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		if _, err := layerAt(tx, layer, at); err != nil {
			return err
		}
		_, val := lookup(tx.Bucket(bucketFeatures).Bucket([]byte(layer)), prefix(id), at)
		if val == nil || !layers.ValidID(id) {
			return layers.Errorf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
		}
		var err error
		f, err = decodeFeature(layer, id, val)
		return err
	})
	return f, err
}

func (v view) Sources(ctx context.Context) ([]layers.Source, error) {
	var out []layers.Source
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		return walk(tx.Bucket(bucketSources), nil, at, func(ent, val []byte) error {
			var src layers.Source
			if err := decodeJSON(val, &src); err != nil {
				return fmt.Errorf("decode source %s: %w", ent, err)
			}
			out = append(out, src)
			return nil
		})
	})
	return out, err
}

func sourceAt(tx *bbolt.Tx, id string, at uint64) (layers.Source, error) {
	var src layers.Source
	_, val := lookup(tx.Bucket(bucketSources), prefix(id), at)
	if val == nil || !layers.ValidID(id) {
		return src, layers.Errorf(layers.ENOTFOUND, "source %q does not exist", id)
	}
	if err := decodeJSON(val, &src); err != nil {
		return src, fmt.Errorf("decode source %s: %w", id, err)
	}
	return src, nil
}

func (v view) Source(ctx context.Context, id string) (layers.Source, error) {
	var src layers.Source
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		var err error
		src, err = sourceAt(tx, id, at)
		return err
	})
	return src, err
}

func (v view) Passages(ctx context.Context, source string) ([]layers.Passage, error) {
	var out []layers.Passage
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		if source != "" {
			if _, err := sourceAt(tx, source, at); err != nil {
				return err
			}
		}
		return walk(tx.Bucket(bucketPassages), nil, at, func(ent, val []byte) error {
			var p layers.Passage
			if err := decodeJSON(val, &p); err != nil {
				return fmt.Errorf("decode passage %s: %w", ent, err)
			}
			if source == "" || p.Source == source {
				out = append(out, p)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Start < out[j].Start
	})
	return out, err
}

func passageAt(tx *bbolt.Tx, id string, at uint64) (layers.Passage, error) {
	var p layers.Passage
	_, val := lookup(tx.Bucket(bucketPassages), prefix(id), at)
	if val == nil || !layers.ValidID(id) {
		return p, layers.Errorf(layers.ENOTFOUND, "passage %q does not exist", id)
	}
	if err := decodeJSON(val, &p); err != nil {
		return p, fmt.Errorf("decode passage %s: %w", id, err)
	}
	return p, nil
}

func (v view) Passage(ctx context.Context, id string) (layers.Passage, error) {
	var p layers.Passage
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		var err error
		p, err = passageAt(tx, id, at)
		return err
	})
	return p, err
}

func (v view) PassageFeatures(ctx context.Context, passage string) ([]layers.FeatureRef, error) {
	var out []layers.FeatureRef
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		if _, err := passageAt(tx, passage, at); err != nil {
			return err
		}
		fb := tx.Bucket(bucketFeatures)
		return walk(tx.Bucket(bucketCites), prefix(passage), at, func(ent, _ []byte) error {
			ps := parts(ent)
			if len(ps) != 3 {
				return fmt.Errorf("corrupt index key %q", ent)
			}
			fr := layers.FeatureRef{Layer: ps[1], Feature: ps[2]}
			_, val := lookup(fb.Bucket([]byte(fr.Layer)), prefix(fr.Feature), at)
			if val == nil {
				return nil // the index and the features are written together; be safe
			}
			_, pj, _, err := featureParts(val)
			if err != nil {
				return err
			}
			var p struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(pj, &p) == nil {
				fr.Name = p.Name
			}
			out = append(out, fr)
			return nil
		})
	})
	return out, err
}

// Claims reads the features that cite anything from the passages' index,
// in layer and id order: proportional to the evidence, where walking every
// feature of every layer took 1-9 s with bench's 1M polygons beside it.
func (v view) Claims(ctx context.Context) ([]layers.Claim, error) {
	var out []layers.Claim
	err := v.read(func(tx *bbolt.Tx, at uint64) error {
		type ref struct{ layer, id string }
		var refs []ref // one per passage a feature cites
		err := walk(tx.Bucket(bucketCites), nil, at, func(ent, _ []byte) error {
			ps := parts(ent)
			if len(ps) != 3 {
				return fmt.Errorf("corrupt index key %q", ent)
			}
			refs = append(refs, ref{ps[1], ps[2]})
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortFunc(refs, func(a, b ref) int {
			return cmp.Or(cmp.Compare(a.layer, b.layer), cmp.Compare(a.id, b.id))
		})
		refs = slices.Compact(refs)
		fb := tx.Bucket(bucketFeatures)
		for i, r := range refs {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			_, val := lookup(fb.Bucket([]byte(r.layer)), prefix(r.id), at)
			if val == nil {
				return fmt.Errorf("the passages' index names feature %s/%s, which does not exist", r.layer, r.id)
			}
			cs, err := featureClaims(r.layer, r.id, val)
			if err != nil {
				return err
			}
			out = append(out, cs...)
		}
		return nil
	})
	return out, err
}
