// Package bolt is the bbolt implementation of layers.Store: one file holds
// every data version of every layer, and the sources, passages and claims.
//
// Layout: each import writes each of its layers into a fresh bucket under
// "data" (features "f", claims "c", the passage->feature index "i"), in
// batched transactions; one last transaction then records the new data
// version in "versions", which maps every layer to its bucket. A killed
// import leaves only an unreferenced bucket, removed at the next open.
// Old versions keep their buckets, so a pinned version stays readable.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// schemaVersion is written into a new file; a store refuses a newer one.
const schemaVersion = 2

var (
	bucketMeta     = []byte("meta")
	bucketVersions = []byte("versions") // u64 version -> versionRecord
	bucketData     = []byte("data")     // one bucket per imported layer
	bucketSources  = []byte("sources")
	bucketPassages = []byte("passages")

	subFeatures = []byte("f") // id -> record
	subClaims   = []byte("c") // feature \0 passage \0 aspect -> Claim
	subIndex    = []byte("i") // passage \0 feature -> nil

	keySchema  = []byte("schema")
	keyVersion = []byte("version")

	allBuckets = [][]byte{bucketMeta, bucketVersions, bucketData, bucketSources, bucketPassages}
)

// batchSize is how many features one write transaction holds: bbolt's README
// advises against far larger ones.
const batchSize = 5000

// maxProblems bounds the problems one import reports.
const maxProblems = 100

// Store is a layers.Store on one bbolt file. Its reads are of the latest
// data version.
type Store struct {
	view
	path string
}

var _ layers.Store = (*Store)(nil)

// versionRecord is one data version: every layer and the bucket holding it.
type versionRecord struct {
	Version int        `json:"version"`
	Time    string     `json:"time"`
	Layers  []layerRef `json:"layers"`
}

type layerRef struct {
	Layer  layers.Layer `json:"layer"`
	Bucket string       `json:"bucket"`
}

// Open opens or creates the database at path for reading and writing. If
// another process holds it, Open gives up after timeout with an ELOCKED
// error instead of waiting forever.
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

func open(path string, opts *bbolt.Options) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, opts)
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, layers.Errorf(layers.ELOCKED, "database %s is in use by another process (gave up after %s)", path, opts.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{view: view{db: db, latest: new(atomic.Int64)}, path: path}
	ready, garbage := false, false
	err = db.View(func(tx *bbolt.Tx) error {
		ready = true
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				ready = false
			}
		}
		if !ready {
			return nil
		}
		if got := binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(keySchema)); got != schemaVersion {
			return layers.Errorf(layers.EINVALID, "database %s has schema %d; this mapserver reads schema %d (re-import the data into a new file)", path, got, schemaVersion)
		}
		used, err := usedBuckets(tx)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketData).ForEachBucket(func(k []byte) error {
			if !used[string(k)] {
				garbage = true
			}
			return nil
		})
	})
	switch {
	case err != nil:
	case !ready && opts.ReadOnly:
		err = layers.Errorf(layers.EINVALID, "%s is not a mapserver database", path)
	case !ready:
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
	case garbage && !opts.ReadOnly:
		err = db.Update(collectGarbage)
	}
	if err == nil {
		err = db.View(func(tx *bbolt.Tx) error {
			s.latest.Store(int64(currentVersion(tx)))
			return nil
		})
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// usedBuckets names the data buckets some version refers to.
func usedBuckets(tx *bbolt.Tx) (map[string]bool, error) {
	used := map[string]bool{}
	err := tx.Bucket(bucketVersions).ForEach(func(k, v []byte) error {
		var rec versionRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode version %d: %w", binary.BigEndian.Uint64(k), err)
		}
		for _, l := range rec.Layers {
			used[l.Bucket] = true
		}
		return nil
	})
	return used, err
}

// collectGarbage deletes the buckets of imports that never completed.
func collectGarbage(tx *bbolt.Tx) error {
	used, err := usedBuckets(tx)
	if err != nil {
		return err
	}
	var stale [][]byte
	data := tx.Bucket(bucketData)
	data.ForEachBucket(func(k []byte) error {
		if !used[string(k)] {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range stale {
		if err := data.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
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

// At reads a pinned data version.
func (s *Store) At(ctx context.Context, version int) (layers.Reader, error) {
	err := s.db.View(func(tx *bbolt.Tx) error {
		if version <= 0 || tx.Bucket(bucketVersions).Get(u64(uint64(version))) == nil {
			return layers.Errorf(layers.ENOTFOUND, "data version %d does not exist", version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return view{db: s.db, pinned: version, latest: s.latest}, nil
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

func putJSON(b *bbolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func currentVersion(tx *bbolt.Tx) int {
	if v := tx.Bucket(bucketMeta).Get(keyVersion); v != nil {
		return int(binary.BigEndian.Uint64(v))
	}
	return 0
}

func readVersion(tx *bbolt.Tx, v int) (versionRecord, error) {
	var rec versionRecord
	if v == 0 {
		return rec, nil
	}
	b := tx.Bucket(bucketVersions).Get(u64(uint64(v)))
	if b == nil {
		return rec, layers.Errorf(layers.ENOTFOUND, "data version %d does not exist", v)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("decode version %d: %w", v, err)
	}
	return rec, nil
}
