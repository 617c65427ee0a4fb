package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/paulmach/orb"
	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// Import writes a new data version. Sources and passages are checked first
// against what is stored (a new text for a stored source must still hold its
// stored passages); then each layer streams in, every feature checked on the
// way and compared with the stored one, and what differs is written in
// batches under the new version, invisible to readers. A last transaction
// writes the rest and makes the version current. On any problem the
// version's records are deleted: the store holds what it held before.
func (s *Store) Import(ctx context.Context, imp *layers.Import, progress func(int)) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		ch      *change
		sources map[string]string
	)
	err := s.db.View(func(tx *bbolt.Tx) error {
		ch = newChange(currentVersion(tx))
		var err error
		sources, err = checkEvidence(tx, ch.base, imp.Sources, imp.Passages)
		return err
	})
	if err != nil {
		return 0, err
	}
	ch.sourceOf = func(pid string) string { return sources[pid] }
	ch.fill = bulkFill
	ch.levelLimit = s.levelCells
	bodies := &sorter{dir: filepath.Dir(s.path), runBytes: s.runBytes}
	defer bodies.close()
	ch.bodies = bodies
	fail := func(err error) (int, error) {
		if rerr := ch.rollback(s.db); rerr != nil {
			return 0, errors.Join(err, fmt.Errorf("undo the failed import: %w", rerr))
		}
		return 0, err
	}

	var (
		writers  []*layerWriter
		problems layers.Problems
		read     int
		files    = map[string]string{}
	)
	for _, li := range imp.Layers {
		w := &layerWriter{s: s, ch: ch, li: li, seen: map[string]struct{}{}}
		ps, err := w.stream(ctx, func(id string) bool { _, ok := sources[id]; return ok }, func(n int) {
			if progress != nil {
				progress(read + n)
			}
		})
		read += w.stats.count
		if err != nil {
			return fail(err)
		}
		if f, dup := files[w.layer.ID]; dup {
			ps = append(ps, layers.Problem{File: li.File, Kind: "layer", ID: w.layer.ID, Message: "layer also imported from " + f})
		}
		files[w.layer.ID] = li.File
		writers = append(writers, w)
		problems = append(problems, ps...)
		if len(problems) >= maxProblems {
			break
		}
	}
	if errs := problems.Errors(); len(errs) > 0 {
		return fail(errs)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}

	// Stage the rest, then write it with the version in one transaction.
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, src := range imp.Sources {
			if err := ch.putSource(tx, src); err != nil {
				return err
			}
		}
		for _, p := range imp.Passages {
			p.Verified = layers.VerifiedExact // checkEvidence refused anything else
			if err := ch.putPassage(tx, p); err != nil {
				return err
			}
		}
		for _, w := range writers {
			if err := w.finish(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if err := s.writeBodies(ctx, ch); err != nil {
		return fail(err)
	}
	if err := s.buildLevels(ctx, ch); err != nil {
		return fail(err)
	}
	info := layers.VersionInfo{Time: time.Now().UTC().Truncate(time.Millisecond),
		Message: fmt.Sprintf("import of %d layer(s), %d source(s), %d passage(s)", len(imp.Layers), len(imp.Sources), len(imp.Passages))}
	if err := s.db.Update(func(tx *bbolt.Tx) error { return ch.finish(tx, info) }); err != nil {
		return fail(err)
	}
	s.latest.Store(int64(ch.ver))
	s.trim()
	return int(ch.ver), nil
}

// bulkFill is the FillPercent of the buckets an import writes: it appends
// mostly in key order, so pages are filled, not split in halves.
const bulkFill = 0.95

// writeBodies writes the import's bodies, sorted by key. Those that never
// left memory wait for the version's last transaction with the rest; runs
// are merged and written in transactions of about flushBytes each, marked
// pending like every write ahead of the last transaction.
func (s *Store) writeBodies(ctx context.Context, ch *change) error {
	bodies := ch.bodies
	ch.bodies = nil
	spilled := len(bodies.runs) > 0
	m, err := bodies.merged()
	if err != nil {
		return err
	}
	if !spilled {
		for p, ok, _ := m.next(); ok; p, ok, _ = m.next() {
			ch.puts = append(ch.puts, p)
			ch.staged += len(p.layer) + len(p.key) + len(p.val) + 64
		}
		return nil
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
			for n := 0; n < s.flushBytes; {
				p, ok, err := m.next()
				if err != nil {
					return err
				}
				if !ok {
					more = false
					return nil
				}
				if err := w.put(tx, p, ch.fill); err != nil {
					return err
				}
				n += len(p.key) + len(p.val)
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

// trim drops the process's mapping of the file's pages once it passes
// residentLimit: an import reads and writes across the whole file, and
// would otherwise keep most of it mapped (see resident.go).
func (s *Store) trim() {
	if n, err := residentFile(); err == nil && n > residentLimit {
		_ = s.Release()
	}
}

// residentLimit is how much of the file a writer keeps mapped.
const residentLimit = 64 << 20

// checkEvidence checks sources and passages joined with those stored at
// base, and maps every passage the new version will have to its source.
func checkEvidence(tx *bbolt.Tx, base uint64, sources []layers.Source, passages []layers.Passage) (map[string]string, error) {
	d := layers.NewDataset()
	if err := walk(tx.Bucket(bucketSources), nil, base, func(ent, val []byte) error {
		var src layers.Source
		if err := decodeJSON(val, &src); err != nil {
			return fmt.Errorf("decode source %s: %w", ent, err)
		}
		d.Sources = append(d.Sources, src)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := walk(tx.Bucket(bucketPassages), nil, base, func(ent, val []byte) error {
		var p layers.Passage
		if err := decodeJSON(val, &p); err != nil {
			return fmt.Errorf("decode passage %s: %w", ent, err)
		}
		d.Passages = append(d.Passages, p)
		return nil
	}); err != nil {
		return nil, err
	}
	d.Merge(&layers.Dataset{Sources: sources, Passages: passages, Features: map[string][]layers.Feature{}})
	if ps := layers.CheckEvidence(d.Sources, d.Passages, nil); len(ps) > 0 {
		return nil, ps
	}
	ids := make(map[string]string, len(d.Passages))
	for _, p := range d.Passages {
		ids[p.ID] = p.Source
	}
	return ids, nil
}

// layerWriter streams one layer of an import: each feature is checked and,
// while no problem has been seen, staged in batches that are compared with
// the stored features and written. The last partial batch waits for the
// version's last transaction, so a small import writes nothing until
// everything is checked.
type layerWriter struct {
	s     *Store
	ch    *change
	li    layers.LayerImport
	id    string // the layer's id, once known
	layer layers.Layer
	batch []layers.Feature
	seen  map[string]struct{}
	stats stats
}

// flush stages a batch and, once what is staged passes flushBytes, writes
// it.
func (w *layerWriter) flush(batch []layers.Feature) error {
	var pre []encoded
	if w.ch.sourceOf != nil {
		var err error
		if pre, err = encodeAll(batch, w.ch.sourceOf); err != nil {
			return err
		}
	}
	err := w.s.db.View(func(tx *bbolt.Tx) error { return w.stage(tx, batch, pre) })
	if err != nil || w.ch.staged < w.s.flushBytes {
		return err
	}
	if err := w.ch.flush(w.s.db); err != nil {
		return err
	}
	w.s.trim()
	return nil
}

// stage stages a batch; pre, when given, holds its features encoded.
func (w *layerWriter) stage(tx *bbolt.Tx, batch []layers.Feature, pre []encoded) error {
	for i, f := range batch {
		var enc encoded
		if pre != nil {
			enc = pre[i]
		}
		if err := w.ch.putEncoded(tx, w.id, f, enc); err != nil {
			return err
		}
	}
	return nil
}

// A flusher stages and writes a layer's batches on a goroutine of its own
// while the layer's stream is read and checked: decoding the input and
// encoding the records each take about half the work.
type flusher struct {
	work chan batch
	errc chan error
	err  error
	done bool
}

type batch struct {
	features []layers.Feature
	read     int // features read when it was sent, for progress
}

func (w *layerWriter) startFlusher(progress func(int)) *flusher {
	f := &flusher{work: make(chan batch, 1), errc: make(chan error, 1)}
	go func() {
		for b := range f.work {
			if err := w.flush(b.features); err != nil {
				f.errc <- err
				for range f.work { // until the reader stops sending
				}
				return
			}
			progress(b.read)
		}
		f.errc <- nil
	}()
	return f
}

// send hands a batch over, or returns the error that stopped the flusher.
func (f *flusher) send(b batch) error {
	if f.done {
		return f.err
	}
	select {
	case f.work <- b:
		return nil
	case f.err = <-f.errc:
		f.done = true
		if f.err == nil {
			f.err = errors.New("the import's writer stopped")
		}
		return f.err
	}
}

// wait stops the flusher once it has written what it was sent.
func (f *flusher) wait() error {
	if !f.done {
		close(f.work)
		f.err = <-f.errc
		f.done = true
	}
	return f.err
}

// finish stages what is left: the last batch, a tombstone for every stored
// feature the import no longer holds, and the layer's description.
func (w *layerWriter) finish(tx *bbolt.Tx) error {
	w.id = w.layer.ID
	if err := w.stage(tx, w.batch, nil); err != nil {
		return err
	}
	w.batch = nil
	// The ids bucket is the smallest that lists a layer's features.
	var gone []string
	if err := walk(idsOf(tx, w.id), nil, w.ch.base, func(ent, _ []byte) error {
		if id := firstPart(ent); !w.has(id) {
			gone = append(gone, id)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, id := range gone {
		if _, err := w.ch.deleteFeature(tx, w.id, id); err != nil {
			return err
		}
	}
	lc := w.ch.layer(w.id)
	l := w.layer
	l.Count, l.Bound, l.Revision, l.Version, l.Temporal = 0, orb.Bound{}, "", 0, [2]string{}
	lc.desc, lc.full = &l, &w.stats
	return nil
}

func (w *layerWriter) has(id string) bool {
	_, ok := w.seen[id]
	return ok
}

// stream reads the layer, checks each feature and, while no problem has been
// seen, writes full batches once the layer's id is known.
func (w *layerWriter) stream(ctx context.Context, exists func(string) bool, progress func(int)) (layers.Problems, error) {
	li := w.li
	var ps layers.Problems
	var cit layers.Citation
	var one layers.OneGeometry
	var mixed *layers.Problem
	fl := w.startFlusher(progress)
	defer fl.wait()
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
		if w.has(f.ID) {
			ps = append(ps, layers.Problem{File: li.File, Kind: "feature", ID: f.ID, Message: "duplicate feature id in layer"})
		}
		w.seen[f.ID] = struct{}{}
		for _, m := range layers.CheckFeature(f, exists) {
			ps = append(ps, layers.Problem{File: li.File, Kind: "feature", ID: f.ID, Message: m})
		}
		if m := one.Add(f); m != "" {
			mixed = &layers.Problem{File: li.File, Kind: "feature", ID: f.ID, Message: m} // told once the kind is known
		}
		cit.Add(f)
		if len(ps) > 0 {
			continue // keep checking, stop writing
		}
		w.stats.add(factsOf(f))
		w.batch = append(w.batch, f)
		if len(w.batch) >= batchSize {
			if w.id == "" && li.ID != nil {
				if id := li.ID(); layers.ValidID(id) {
					w.id = id
				}
			}
			if w.id == "" {
				continue // held until the layer's id is known
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := fl.send(batch{w.batch, w.stats.count}); err != nil {
				return nil, fmt.Errorf("write %s: %w", li.File, err)
			}
			w.batch = make([]layers.Feature, 0, batchSize)
		}
	}
	if err := fl.wait(); err != nil {
		return nil, fmt.Errorf("write %s: %w", li.File, err)
	}
	l := li.Layer()
	if w.id != "" && l.ID != w.id {
		ps = append(ps, layers.Problem{File: li.File, Kind: "layer", ID: l.ID, Message: fmt.Sprintf("the layer's id changed from %q to %q while it was read", w.id, l.ID)})
	}
	for _, m := range layers.CheckLayer(l) {
		ps = append(ps, layers.Problem{File: li.File, Kind: "layer", ID: l.ID, Message: m})
	}
	if mixed != nil && l.Kind != layers.KindBasemap {
		ps = append(ps, *mixed)
	}
	for i := range ps {
		if ps[i].Kind == "feature" {
			ps[i].ID = l.ID + "/" + ps[i].ID
		}
	}
	uncited, unsupported := cit.Result(l, li.File)
	ps = append(ps, unsupported...)
	progress(w.stats.count)
	l.Uncited = uncited
	w.layer = l
	return ps, nil
}

func orUnknown(id string) string {
	if id == "" {
		return "?"
	}
	return id
}
