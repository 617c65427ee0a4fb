package bolt

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/citemap/citemap/layers"
)

// footprint is what the file holds: the bytes of every key and value, and
// the pages in use (allocated minus free).
type footprint struct {
	records, bytes int
	pages          int
}

func measure(t *testing.T, s *Store) footprint {
	t.Helper()
	var fp footprint
	err := s.db.View(func(tx *bbolt.Tx) error {
		fp.pages = int(tx.Size()/int64(s.db.Info().PageSize)) - s.db.Stats().FreePageN - s.db.Stats().PendingPageN
		var count func(b *bbolt.Bucket) error
		count = func(b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return count(b.Bucket(k))
				}
				fp.records++
				fp.bytes += len(k) + len(v)
				return nil
			})
		}
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error { return count(b) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// The bundled data imported again stores one version record; a one-passage
// change stores that passage and the descriptions of the layers citing it.
func TestGrowthOnTheBundledData(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	bundled := func() *layers.Dataset {
		d, err := layers.ReadDir(os.DirFS("../../data"), ".")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if _, err := s.Import(ctx, bundled().Import(), nil); err != nil {
		t.Fatal(err)
	}
	v1 := measure(t, s)
	if _, err := s.Import(ctx, bundled().Import(), nil); err != nil {
		t.Fatal(err)
	}
	v2 := measure(t, s)

	d := bundled()
	i := slices.IndexFunc(d.Passages, func(p layers.Passage) bool { return p.ID == "p004-06" })
	src := d.Sources[slices.IndexFunc(d.Sources, func(s layers.Source) bool { return s.ID == d.Passages[i].Source })]
	cut, _, _ := strings.Cut(d.Passages[i].Exact, " is interpreted")
	sel, err := layers.Anchor(src.Text, cut)
	if err != nil {
		t.Fatal(err)
	}
	d.Passages[i].Selector = sel
	if _, err := s.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	v3 := measure(t, s)
	ls, _ := s.Layers(ctx)
	changed := 0
	for _, l := range ls {
		if l.Version == 3 {
			changed++
		}
	}
	t.Logf("bundled data: %d records, %d bytes of keys and values, %d pages in use", v1.records, v1.bytes, v1.pages)
	t.Logf("unchanged import: +%d record(s), +%d bytes, +%d pages", v2.records-v1.records, v2.bytes-v1.bytes, v2.pages-v1.pages)
	t.Logf("one passage shortened: +%d records, +%d bytes, +%d pages (%d layer description(s) rewritten)", v3.records-v2.records, v3.bytes-v2.bytes, v3.pages-v2.pages, changed)
	if v2.records-v1.records != 1 || v2.bytes-v1.bytes > 512 {
		t.Errorf("an unchanged import stored %d records, %d bytes; want the version record alone", v2.records-v1.records, v2.bytes-v1.bytes)
	}
	if got, want := v3.records-v2.records, 2+changed; got != want || changed == 0 {
		t.Errorf("a one-passage change stored %d records, want %d (version, passage, %d layer descriptions)", got, want, changed)
	}
}
