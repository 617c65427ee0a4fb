package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// view reads one data version: pinned, or the latest when pinned is 0.
// Every read copies what it returns out of its transaction.
type view struct {
	db     *bbolt.DB
	pinned int
	// latest is the store's current version, kept in memory: the file is
	// locked to this process, so only its own imports change it.
	latest *atomic.Int64
}

var _ layers.Reader = view{}

// read runs fn over the version record this view reads.
func (v view) read(fn func(tx *bbolt.Tx, rec versionRecord) error) error {
	return v.db.View(func(tx *bbolt.Tx) error {
		n := v.pinned
		if n == 0 {
			n = currentVersion(tx)
		}
		rec, err := readVersion(tx, n)
		if err != nil {
			return err
		}
		return fn(tx, rec)
	})
}

// layerBucket finds a layer of the version and its data bucket.
func layerBucket(tx *bbolt.Tx, rec versionRecord, id string) (layers.Layer, *bbolt.Bucket, error) {
	for _, ref := range rec.Layers {
		if ref.Layer.ID == id {
			b := tx.Bucket(bucketData).Bucket([]byte(ref.Bucket))
			if b == nil {
				return ref.Layer, nil, fmt.Errorf("layer %s: bucket %s is missing", id, ref.Bucket)
			}
			return ref.Layer, b, nil
		}
	}
	return layers.Layer{}, nil, layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", id)
}

func (v view) Version(ctx context.Context) (int, error) {
	if v.pinned > 0 {
		return v.pinned, nil
	}
	return int(v.latest.Load()), nil
}

func (v view) Layers(ctx context.Context) ([]layers.Layer, error) {
	var out []layers.Layer
	err := v.read(func(tx *bbolt.Tx, rec versionRecord) error {
		for _, ref := range rec.Layers {
			out = append(out, ref.Layer)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

func (v view) Layer(ctx context.Context, id string) (layers.Layer, error) {
	var l layers.Layer
	err := v.read(func(tx *bbolt.Tx, rec versionRecord) error {
		var err error
		l, _, err = layerBucket(tx, rec, id)
		return err
	})
	return l, err
}

func (v view) Features(ctx context.Context, layer string) ([]layers.Feature, error) {
	// Copy the raw records out in the transaction and decode them after,
	// on every core: a layer of a million features decodes in seconds.
	var raw, rawClaims [][]byte
	err := v.read(func(tx *bbolt.Tx, rec versionRecord) error {
		_, b, err := layerBucket(tx, rec, layer)
		if err != nil {
			return err
		}
		fb, cb := b.Bucket(subFeatures), b.Bucket(subClaims)
		if err := fb.ForEach(func(_, val []byte) error {
			raw = append(raw, bytes.Clone(val))
			return nil
		}); err != nil {
			return err
		}
		return cb.ForEach(func(_, val []byte) error {
			rawClaims = append(rawClaims, bytes.Clone(val))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]layers.Feature, len(raw))
	if err := parallel(len(raw), func(i int) error {
		var err error
		out[i], err = decodeFeature(layer, raw[i])
		raw[i] = nil
		return err
	}); err != nil {
		return nil, err
	}
	claims := map[string][]layers.Claim{}
	for _, val := range rawClaims {
		c, err := decodeClaim(layer, val)
		if err != nil {
			return nil, err
		}
		claims[c.Feature] = append(claims[c.Feature], c)
	}
	for i := range out {
		out[i].Claims = claims[out[i].ID]
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
	err := v.read(func(tx *bbolt.Tx, rec versionRecord) error {
		_, b, err := layerBucket(tx, rec, layer)
		if err != nil {
			return err
		}
		val := b.Bucket(subFeatures).Get([]byte(id))
		if val == nil {
			return layers.Errorf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
		}
		if f, err = decodeFeature(layer, val); err != nil {
			return err
		}
		c := b.Bucket(subClaims).Cursor()
		prefix := append([]byte(id), 0)
		for k, val := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, val = c.Next() {
			cl, err := decodeClaim(layer, val)
			if err != nil {
				return err
			}
			f.Claims = append(f.Claims, cl)
		}
		return nil
	})
	return f, err
}

func decodeClaim(layer string, v []byte) (layers.Claim, error) {
	var c layers.Claim
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("decode claim in %s: %w", layer, err)
	}
	c.Layer = layer
	return c, nil
}

func decodeFeature(layer string, v []byte) (layers.Feature, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return layers.Feature{}, fmt.Errorf("decode feature in %s: %w", layer, err)
	}
	g, err := wkb.Unmarshal(r.WKB)
	if err != nil {
		return layers.Feature{}, fmt.Errorf("decode geometry of %s/%s: %w", layer, r.ID, err)
	}
	if r.Properties == nil {
		r.Properties = map[string]any{}
	}
	return layers.Feature{ID: r.ID, Layer: layer, Geometry: g, Properties: r.Properties}, nil
}

func (v view) Sources(ctx context.Context) ([]layers.Source, error) {
	var out []layers.Source
	err := v.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSources).ForEach(func(k, val []byte) error {
			var src layers.Source
			if err := json.Unmarshal(val, &src); err != nil {
				return fmt.Errorf("decode source %s: %w", k, err)
			}
			out = append(out, src)
			return nil
		})
	})
	return out, err
}

func (v view) Source(ctx context.Context, id string) (layers.Source, error) {
	var src layers.Source
	err := v.db.View(func(tx *bbolt.Tx) error {
		val := tx.Bucket(bucketSources).Get([]byte(id))
		if val == nil {
			return layers.Errorf(layers.ENOTFOUND, "source %q does not exist", id)
		}
		return json.Unmarshal(val, &src)
	})
	return src, err
}

func (v view) Passages(ctx context.Context, source string) ([]layers.Passage, error) {
	var out []layers.Passage
	err := v.db.View(func(tx *bbolt.Tx) error {
		if source != "" && tx.Bucket(bucketSources).Get([]byte(source)) == nil {
			return layers.Errorf(layers.ENOTFOUND, "source %q does not exist", source)
		}
		return tx.Bucket(bucketPassages).ForEach(func(k, val []byte) error {
			var p layers.Passage
			if err := json.Unmarshal(val, &p); err != nil {
				return fmt.Errorf("decode passage %s: %w", k, err)
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

func (v view) Passage(ctx context.Context, id string) (layers.Passage, error) {
	var p layers.Passage
	err := v.db.View(func(tx *bbolt.Tx) error {
		val := tx.Bucket(bucketPassages).Get([]byte(id))
		if val == nil {
			return layers.Errorf(layers.ENOTFOUND, "passage %q does not exist", id)
		}
		return json.Unmarshal(val, &p)
	})
	return p, err
}

func (v view) PassageFeatures(ctx context.Context, passage string) ([]layers.FeatureRef, error) {
	var out []layers.FeatureRef
	err := v.read(func(tx *bbolt.Tx, rec versionRecord) error {
		if tx.Bucket(bucketPassages).Get([]byte(passage)) == nil {
			return layers.Errorf(layers.ENOTFOUND, "passage %q does not exist", passage)
		}
		refs := append([]layerRef(nil), rec.Layers...)
		sort.Slice(refs, func(i, j int) bool { return refs[i].Layer.ID < refs[j].Layer.ID })
		prefix := append([]byte(passage), 0)
		for _, ref := range refs {
			b := tx.Bucket(bucketData).Bucket([]byte(ref.Bucket))
			if b == nil {
				continue
			}
			c := b.Bucket(subIndex).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				fid := string(k[len(prefix):])
				fr := layers.FeatureRef{Layer: ref.Layer.ID, Feature: fid}
				if val := b.Bucket(subFeatures).Get([]byte(fid)); val != nil {
					var r struct {
						Properties struct {
							Name string `json:"name"`
						} `json:"properties"`
					}
					if json.Unmarshal(val, &r) == nil {
						fr.Name = r.Properties.Name
					}
				}
				out = append(out, fr)
			}
		}
		return nil
	})
	return out, err
}

func (v view) Claims(ctx context.Context) ([]layers.Claim, error) {
	var out []layers.Claim
	err := v.read(func(tx *bbolt.Tx, rec versionRecord) error {
		refs := append([]layerRef(nil), rec.Layers...)
		sort.Slice(refs, func(i, j int) bool { return refs[i].Layer.ID < refs[j].Layer.ID })
		for _, ref := range refs {
			b := tx.Bucket(bucketData).Bucket([]byte(ref.Bucket))
			if b == nil {
				continue
			}
			if err := b.Bucket(subClaims).ForEach(func(k, val []byte) error {
				c, err := decodeClaim(ref.Layer.ID, val)
				if err != nil {
					return err
				}
				out = append(out, c)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
