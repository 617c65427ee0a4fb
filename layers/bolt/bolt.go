// Package bolt is the bbolt implementation of layers.Store and
// layers.Publisher: one file holds every data version of every layer, source,
// passage and claim.
//
// Layout (schema 10). Every entity is stored under its key followed by the
// data version that wrote it (see keys.go), and a version writes only what
// it changes; a read at version N takes, per entity, the record with the
// greatest version <= N, and a tombstone there means the entity is gone.
//
//	meta      schema, version (the latest committed), pending (a version
//	          being written in several transactions)
//	versions  u64be(version) -> VersionInfo (time, author, message)
//	layers    layer \0 v -> layer description (count, bound, revision, ...)
//	features  one bucket per layer: feature \0 v -> claims, properties, WKB
//	sources   source \0 v -> Source (text and metadata)
//	passages  passage \0 v -> Passage
//	cites     passage \0 layer \0 feature \0 v -> 1 (cites) or 0 (no longer)
//	bodies    one bucket per layer: level, cell, feature \0 v -> what a
//	          response sends of the feature: the spatial index and the
//	          bodies in one (see index.go)
//	ids       one bucket per layer: feature \0 v -> its level and cell
//	levels    one bucket per layer: generalized geometry for tiles (levels.go)
//	attrs     one bucket per layer: feature \0 v -> its body without the
//	          geometry (bound, validity, properties), which searches,
//	          filters, counts and offsets read instead of the bodies
//	          (attrs.go)
//
// A version becomes visible in one last transaction that writes its record
// in "versions" and moves meta's version to it. Until then its keys lie
// above every readable version, so no reader sees them; a version that
// never completes (a failed or killed import) is deleted at once, or at the
// next open.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// schemaVersion is written into a new file; a store refuses any other.
const schemaVersion = 10

var (
	bucketMeta     = []byte("meta")
	bucketVersions = []byte("versions")
	bucketLayers   = []byte("layers")
	bucketFeatures = []byte("features")
	bucketSources  = []byte("sources")
	bucketPassages = []byte("passages")
	bucketCites    = []byte("cites")

	keySchema  = []byte("schema")
	keyVersion = []byte("version")
	keyPending = []byte("pending")

	allBuckets = [][]byte{bucketMeta, bucketVersions, bucketLayers, bucketFeatures, bucketSources, bucketPassages, bucketCites, bucketBodies, bucketIDs, bucketLevels, bucketAttrs}
	// perLayer are the buckets holding one bucket per layer.
	perLayer = [][]byte{bucketFeatures, bucketBodies, bucketIDs, bucketLevels, bucketAttrs}
	// versioned are the buckets whose keys end in a data version.
	versioned = [][]byte{bucketLayers, bucketSources, bucketPassages, bucketCites}
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
	// mu orders the writers of this process: a version is computed against
	// the latest and must not race another. Other processes cannot open the
	// file while this one holds it.
	mu sync.Mutex
	// flushBytes is about how much an import writes in one transaction
	// ahead of its last; runBytes how much of its bodies it sorts in
	// memory before it spills a sorted run to a file.
	flushBytes, runBytes int
	// levelCells is how many cells of a layer's stored levels an import
	// follows before it rebuilds them whole (build.go).
	levelCells int
}

// An import commits about 32 MiB at a time, and sorts 64 MiB of bodies in
// memory: its heap stays well under a few hundred MiB whatever its size.
const (
	defaultFlushBytes = 32 << 20
	defaultRunBytes   = 64 << 20
)

var (
	_ layers.Store     = (*Store)(nil)
	_ layers.Publisher = (*Store)(nil)
)

// versionRecord is one data version as stored.
type versionRecord struct {
	layers.VersionInfo
}

// layerRecord is a layer's description as stored, with what its temporal
// extent needs to stay right as features come and go.
type layerRecord struct {
	Layer layers.Layer `json:"layer"`
	Open  int          `json:"open,omitempty"`   // features with a valid_from and no valid_to
	MaxTo string       `json:"max_to,omitempty"` // the latest valid_to
	// Queryables maps each flat property of the layer's features to its
	// JSON type, so a query is parsed without reading the features.
	Queryables map[string]string `json:"queryables,omitempty"`
	// Types are the GeoJSON geometry types of its features.
	Types []string `json:"types,omitempty"`
	// Reach is, for each level of the spatial index, the largest half
	// width and height of the bound of a feature filed there: how far a
	// query at that level widens its box (index.go). A publish only grows
	// it; a count over the whole layer sets it anew.
	Reach [][2]float64 `json:"reach,omitempty"`
}

// pageSize is the page size of a new file (an existing file keeps its
// own). Pages of 16 KiB, not the system's 4 KiB: mapping a page in costs
// dearly on a virtual machine, and at 1M features the bodies' B+tree has
// 142 branch pages instead of 2494 and a level less, so a bbox query
// faulted 17 times instead of 20 and answered about 4 % sooner
// (bench/README.md). The file was 7 % smaller.
const pageSize = 16 << 10

// Open opens or creates the database at path for reading and writing. If
// another process holds it, Open gives up after timeout with an ELOCKED
// error instead of waiting forever.
func Open(path string, timeout time.Duration) (*Store, error) {
	return open(path, &bbolt.Options{Timeout: timeout, PageSize: pageSize})
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
	s := &Store{view: view{db: db, latest: new(atomic.Int64)}, path: path,
		flushBytes: defaultFlushBytes, runBytes: defaultRunBytes, levelCells: defaultLevelCells}
	var (
		ready            bool
		committed, stale uint64
	)
	err = db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || meta.Get(keySchema) == nil {
			return nil
		}
		if got := binary.BigEndian.Uint64(meta.Get(keySchema)); got != schemaVersion {
			return layers.Errorf(layers.EINVALID, "database %s has schema %d; this mapserver reads schema %d (re-import the data into a new file)", path, got, schemaVersion)
		}
		ready = true
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return layers.Errorf(layers.EINVALID, "database %s lacks its %q bucket: it is damaged", path, name)
			}
		}
		committed = currentVersion(tx)
		if p := meta.Get(keyPending); p != nil {
			stale = binary.BigEndian.Uint64(p)
		}
		return nil
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
	case stale > committed && !opts.ReadOnly:
		// A version that never completed: its keys are invisible, but the
		// next version would reuse its number.
		err = db.Update(func(tx *bbolt.Tx) error { return discard(tx, committed) })
	}
	if err == nil {
		s.latest.Store(int64(committed))
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// discard deletes every key of a version above committed: what an
// incomplete version wrote.
func discard(tx *bbolt.Tx, committed uint64) error {
	clean := func(b *bbolt.Bucket) error {
		var stale [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if _, v, ok := split(k); ok && v > committed {
				stale = append(stale, bytes.Clone(k))
			}
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}
	for _, name := range versioned {
		if err := clean(tx.Bucket(name)); err != nil {
			return err
		}
	}
	for _, top := range perLayer {
		fb := tx.Bucket(top)
		var empty [][]byte
		if err := fb.ForEachBucket(func(name []byte) error {
			b := fb.Bucket(name)
			if err := clean(b); err != nil {
				return err
			}
			if k, _ := b.Cursor().First(); k == nil {
				empty = append(empty, bytes.Clone(name))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, name := range empty {
			if err := fb.DeleteBucket(name); err != nil {
				return err
			}
		}
	}
	return tx.Bucket(bucketMeta).Delete(keyPending)
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Check runs bbolt's own consistency check over every page, then checks
// that the latest version's stored bodies, spatial index and tile levels
// agree with its features.
func (s *Store) Check() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		return errors.Join(checkDerived(tx, currentVersion(tx)), checkLevels(tx, currentVersion(tx)))
	})
}

// At reads a pinned data version.
func (s *Store) At(ctx context.Context, version int) (layers.Reader, error) {
	err := s.db.View(func(tx *bbolt.Tx) error {
		_, err := readVersion(tx, version)
		return err
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

func currentVersion(tx *bbolt.Tx) uint64 {
	if v := tx.Bucket(bucketMeta).Get(keyVersion); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// readVersion reads a readable version's record: ENOTFOUND for one that
// never existed or was pruned.
func readVersion(tx *bbolt.Tx, v int) (versionRecord, error) {
	var rec versionRecord
	var b []byte
	if v > 0 && uint64(v) <= currentVersion(tx) {
		b = tx.Bucket(bucketVersions).Get(u64(uint64(v)))
	}
	if b == nil {
		return rec, layers.Errorf(layers.ENOTFOUND, "data version %d does not exist", v)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("decode version %d: %w", v, err)
	}
	if rec.Pruned {
		return rec, layers.Errorf(layers.ENOTFOUND, "data version %d was pruned", v)
	}
	return rec, nil
}
