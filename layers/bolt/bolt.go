// Package bolt is the bbolt implementation of layers.Store: one file holds
// every layer, feature, source, passage and claim.
package bolt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// schemaVersion is written by every import; a store refuses a newer file.
const schemaVersion = 1

var (
	bucketMeta     = []byte("meta")
	bucketLayers   = []byte("layers")
	bucketFeatures = []byte("features") // nested: one bucket per layer
	bucketClaims   = []byte("claims")   // layer \0 feature \0 passage \0 aspect -> Claim
	bucketSources  = []byte("sources")
	bucketPassages = []byte("passages")
	bucketIndex    = []byte("passage_features") // passage \0 layer \0 feature -> nil

	keySchema  = []byte("schema")
	keyVersion = []byte("version")
)

// Store is a layers.Store on one bbolt file.
type Store struct {
	db   *bbolt.DB
	path string
}

var _ layers.Store = (*Store)(nil)

// Open opens or creates the database at path for reading and writing. If
// another process holds it, Open gives up after timeout with an ELOCKED error
// instead of waiting forever.
func Open(path string, timeout time.Duration) (*Store, error) {
	return open(path, &bbolt.Options{Timeout: timeout})
}

// OpenReadOnly opens an existing database for reading only (export, check):
// it never writes to the file.
func OpenReadOnly(path string, timeout time.Duration) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, layers.Errorf(layers.ENOTFOUND, "no database at %s", path)
	}
	return open(path, &bbolt.Options{Timeout: timeout, ReadOnly: true})
}

var allBuckets = [][]byte{bucketMeta, bucketLayers, bucketFeatures, bucketClaims, bucketSources, bucketPassages, bucketIndex}

func open(path string, opts *bbolt.Options) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, opts)
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, layers.Errorf(layers.ELOCKED, "database %s is in use by another process (gave up after %s)", path, opts.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	ready := false
	err = db.View(func(tx *bbolt.Tx) error {
		ready = true
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				ready = false
			}
		}
		if ready {
			if got := binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(keySchema)); got > schemaVersion {
				return layers.Errorf(layers.EINVALID, "database %s has schema %d; this mapserver reads up to %d", path, got, schemaVersion)
			}
		}
		return nil
	})
	if err == nil && !ready {
		if opts.ReadOnly {
			err = layers.Errorf(layers.EINVALID, "%s is not a mapserver database", path)
		} else {
			// Only a new file is written to here: opening a database must not
			// change it.
			err = db.Update(func(tx *bbolt.Tx) error {
				for _, name := range allBuckets {
					if _, err := tx.CreateBucketIfNotExists(name); err != nil {
						return err
					}
				}
				return tx.Bucket(bucketMeta).Put(keySchema, u64(schemaVersion))
			})
		}
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Check runs bbolt's own consistency check over every page.
func (s *Store) Check() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func key(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}

// record is a feature as stored: properties as JSON, geometry as WKB.
type record struct {
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
	WKB        []byte         `json:"wkb"`
}

func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketMeta).Get(keyVersion); b != nil {
			v = int(binary.BigEndian.Uint64(b))
		}
		return nil
	})
	return v, err
}

func (s *Store) Layers(ctx context.Context) ([]layers.Layer, error) {
	var out []layers.Layer
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketLayers).ForEach(func(k, v []byte) error {
			var l layers.Layer
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("decode layer %s: %w", k, err)
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

func (s *Store) Layer(ctx context.Context, id string) (layers.Layer, error) {
	var l layers.Layer
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketLayers).Get([]byte(id))
		if v == nil {
			return layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", id)
		}
		return json.Unmarshal(v, &l)
	})
	return l, err
}

func (s *Store) Features(ctx context.Context, layer string) ([]layers.Feature, error) {
	var out []layers.Feature
	err := s.db.View(func(tx *bbolt.Tx) error {
		fb := tx.Bucket(bucketFeatures).Bucket([]byte(layer))
		if fb == nil {
			return layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", layer)
		}
		claims, err := layerClaims(tx, layer)
		if err != nil {
			return err
		}
		return fb.ForEach(func(k, v []byte) error {
			f, err := decodeFeature(layer, v)
			if err != nil {
				return err
			}
			f.Claims = claims[f.ID]
			out = append(out, f)
			return nil
		})
	})
	return out, err
}

func (s *Store) Feature(ctx context.Context, layer, id string) (layers.Feature, error) {
	var f layers.Feature
	err := s.db.View(func(tx *bbolt.Tx) error {
		fb := tx.Bucket(bucketFeatures).Bucket([]byte(layer))
		if fb == nil {
			return layers.Errorf(layers.ENOTFOUND, "layer %q does not exist", layer)
		}
		v := fb.Get([]byte(id))
		if v == nil {
			return layers.Errorf(layers.ENOTFOUND, "feature %q does not exist in layer %q", id, layer)
		}
		var err error
		if f, err = decodeFeature(layer, v); err != nil {
			return err
		}
		c := tx.Bucket(bucketClaims).Cursor()
		prefix := append(key(layer, id), 0)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var cl layers.Claim
			if err := json.Unmarshal(v, &cl); err != nil {
				return fmt.Errorf("decode claim %q: %w", k, err)
			}
			f.Claims = append(f.Claims, cl)
		}
		return nil
	})
	return f, err
}

func layerClaims(tx *bbolt.Tx, layer string) (map[string][]layers.Claim, error) {
	out := map[string][]layers.Claim{}
	c := tx.Bucket(bucketClaims).Cursor()
	prefix := append([]byte(layer), 0)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var cl layers.Claim
		if err := json.Unmarshal(v, &cl); err != nil {
			return nil, fmt.Errorf("decode claim %q: %w", k, err)
		}
		out[cl.Feature] = append(out[cl.Feature], cl)
	}
	return out, nil
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

func (s *Store) Sources(ctx context.Context) ([]layers.Source, error) {
	var out []layers.Source
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
			var src layers.Source
			if err := json.Unmarshal(v, &src); err != nil {
				return fmt.Errorf("decode source %s: %w", k, err)
			}
			out = append(out, src)
			return nil
		})
	})
	return out, err
}

func (s *Store) Source(ctx context.Context, id string) (layers.Source, error) {
	var src layers.Source
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketSources).Get([]byte(id))
		if v == nil {
			return layers.Errorf(layers.ENOTFOUND, "source %q does not exist", id)
		}
		return json.Unmarshal(v, &src)
	})
	return src, err
}

func (s *Store) Passages(ctx context.Context, source string) ([]layers.Passage, error) {
	var out []layers.Passage
	err := s.db.View(func(tx *bbolt.Tx) error {
		if source != "" && tx.Bucket(bucketSources).Get([]byte(source)) == nil {
			return layers.Errorf(layers.ENOTFOUND, "source %q does not exist", source)
		}
		return tx.Bucket(bucketPassages).ForEach(func(k, v []byte) error {
			var p layers.Passage
			if err := json.Unmarshal(v, &p); err != nil {
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

func (s *Store) Passage(ctx context.Context, id string) (layers.Passage, error) {
	var p layers.Passage
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketPassages).Get([]byte(id))
		if v == nil {
			return layers.Errorf(layers.ENOTFOUND, "passage %q does not exist", id)
		}
		return json.Unmarshal(v, &p)
	})
	return p, err
}

func (s *Store) PassageFeatures(ctx context.Context, passage string) ([]layers.FeatureRef, error) {
	var out []layers.FeatureRef
	err := s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketPassages).Get([]byte(passage)) == nil {
			return layers.Errorf(layers.ENOTFOUND, "passage %q does not exist", passage)
		}
		c := tx.Bucket(bucketIndex).Cursor()
		prefix := append([]byte(passage), 0)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			parts := bytes.SplitN(k[len(prefix):], []byte{0}, 2)
			if len(parts) != 2 {
				return fmt.Errorf("corrupt index key %q", k)
			}
			ref := layers.FeatureRef{Layer: string(parts[0]), Feature: string(parts[1])}
			if fb := tx.Bucket(bucketFeatures).Bucket(parts[0]); fb != nil {
				if v := fb.Get(parts[1]); v != nil {
					var r record
					if err := json.Unmarshal(v, &r); err == nil {
						if n, ok := r.Properties["name"].(string); ok {
							ref.Name = n
						}
					}
				}
			}
			out = append(out, ref)
		}
		return nil
	})
	return out, err
}

func (s *Store) Claims(ctx context.Context) ([]layers.Claim, error) {
	var out []layers.Claim
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketClaims).ForEach(func(k, v []byte) error {
			var c layers.Claim
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode claim %q: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// Import writes d in one read-write transaction. It first checks the
// invariants over d joined with what the store already holds (d's claims may
// cite stored passages; a new text for a stored source must still hold the
// stored passages), so a failed import leaves the file as it was.
func (s *Store) Import(ctx context.Context, d *layers.Dataset, progress func(done, total int)) (int, error) {
	var version int
	err := s.db.Update(func(tx *bbolt.Tx) error {
		view := layers.NewDataset()
		if err := loadEvidence(tx, view); err != nil {
			return err
		}
		view.Merge(&layers.Dataset{Sources: d.Sources, Passages: d.Passages, Files: d.Files, Features: map[string][]layers.Feature{}})
		for _, l := range d.Layers {
			view.Layers = append(view.Layers, l)
			view.Features[l.ID] = d.Features[l.ID]
		}
		if ps := layers.Check(view); len(ps) > 0 {
			return ps
		}
		if err := ctx.Err(); err != nil {
			return err
		}

		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyVersion); v != nil {
			version = int(binary.BigEndian.Uint64(v))
		}
		version++
		if err := meta.Put(keyVersion, u64(uint64(version))); err != nil {
			return err
		}

		for _, src := range d.Sources {
			if err := putJSON(tx.Bucket(bucketSources), []byte(src.ID), src); err != nil {
				return err
			}
		}
		for _, p := range d.Passages {
			p.Verified = layers.VerifiedExact // Check above refused anything else
			if err := putJSON(tx.Bucket(bucketPassages), []byte(p.ID), p); err != nil {
				return err
			}
		}
		total := 0
		for _, l := range d.Layers {
			total += len(d.Features[l.ID])
		}
		done := 0
		for _, l := range d.Layers {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := writeLayer(tx, l, d.Features[l.ID], version, func(k int) {
				if progress != nil {
					progress(done+k, total)
				}
			})
			if err != nil {
				return fmt.Errorf("write layer %s: %w", l.ID, err)
			}
			done += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// loadEvidence reads every stored source and passage into d.
func loadEvidence(tx *bbolt.Tx, d *layers.Dataset) error {
	if err := tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
		var s layers.Source
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode source %s: %w", k, err)
		}
		d.Sources = append(d.Sources, s)
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
}

// writeLayer replaces a layer whole: its features, its claims and their
// index entries.
func writeLayer(tx *bbolt.Tx, l layers.Layer, feats []layers.Feature, version int, progress func(int)) (int, error) {
	fbs := tx.Bucket(bucketFeatures)
	if fbs.Bucket([]byte(l.ID)) != nil {
		if err := fbs.DeleteBucket([]byte(l.ID)); err != nil {
			return 0, err
		}
	}
	claims, index := tx.Bucket(bucketClaims), tx.Bucket(bucketIndex)
	// Drop the layer's old claims and their index entries.
	var stale [][]byte
	c := claims.Cursor()
	prefix := append([]byte(l.ID), 0)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var cl layers.Claim
		if err := json.Unmarshal(v, &cl); err != nil {
			return 0, err
		}
		stale = append(stale, bytes.Clone(k))
		if err := index.Delete(key(cl.Passage, cl.Layer, cl.Feature)); err != nil {
			return 0, err
		}
	}
	for _, k := range stale {
		if err := claims.Delete(k); err != nil {
			return 0, err
		}
	}

	fb, err := fbs.CreateBucket([]byte(l.ID))
	if err != nil {
		return 0, err
	}
	sorted := append([]layers.Feature(nil), feats...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	fb.FillPercent = 0.9 // keys arrive in order

	h := sha256.New()
	bound := orb.Bound{}
	var from, to string
	openEnd := false
	for i, f := range sorted {
		g, err := wkb.Marshal(f.Geometry)
		if err != nil {
			return i, fmt.Errorf("feature %s: %w", f.ID, err)
		}
		v, err := json.Marshal(record{ID: f.ID, Properties: f.Properties, WKB: g})
		if err != nil {
			return i, fmt.Errorf("feature %s: %w", f.ID, err)
		}
		if err := fb.Put([]byte(f.ID), v); err != nil {
			return i, err
		}
		h.Write(v)
		for _, cl := range f.Claims {
			cl.Layer, cl.Feature = l.ID, f.ID
			cv, err := json.Marshal(cl)
			if err != nil {
				return i, err
			}
			h.Write(cv)
			if err := claims.Put(key(l.ID, f.ID, cl.Passage, cl.Aspect), cv); err != nil {
				return i, err
			}
			if err := index.Put(key(cl.Passage, l.ID, f.ID), nil); err != nil {
				return i, err
			}
		}
		b := f.Geometry.Bound()
		if i == 0 {
			bound = b
		} else {
			bound = bound.Union(b)
		}
		vf, _ := f.Properties["valid_from"].(string)
		vt, _ := f.Properties["valid_to"].(string)
		if vf != "" && (from == "" || vf < from) {
			from = vf
		}
		if vf != "" && vt == "" {
			openEnd = true
		}
		if vt > to {
			to = vt
		}
		if progress != nil && (i%1000 == 999 || i == len(sorted)-1) {
			progress(i + 1)
		}
	}
	if openEnd {
		to = ""
	}
	hl, _ := json.Marshal(l)
	h.Write(hl)
	l.Count = len(sorted)
	l.Bound = bound
	l.Revision = hex.EncodeToString(h.Sum(nil))[:20]
	l.Version = version
	l.Temporal = [2]string{from, to}
	return len(sorted), putJSON(tx.Bucket(bucketLayers), []byte(l.ID), l)
}

func putJSON(b *bbolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
