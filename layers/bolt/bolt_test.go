package bolt

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
)

func mini(t *testing.T) *layers.Dataset {
	t.Helper()
	d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestImportAndRead(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if v, _ := s.Version(ctx); v != 0 {
		t.Fatalf("new store version = %d, want 0", v)
	}
	v, err := s.Import(ctx, mini(t), nil)
	if err != nil || v != 1 {
		t.Fatalf("Import = %d, %v", v, err)
	}

	l, err := s.Layer(ctx, "bases")
	if err != nil {
		t.Fatal(err)
	}
	if l.Count != 1 || l.Revision == "" || l.Version != 1 || l.Bound.Min != (orb.Point{43.84635, 40.79305}) {
		t.Errorf("layer = %+v", l)
	}
	f, err := s.Feature(ctx, "bases", "gyumri-102nd-base")
	if err != nil {
		t.Fatal(err)
	}
	if f.Geometry != (orb.Point{43.84635, 40.79305}) || f.Name() != "Russian 102nd Military Base, Gyumri" {
		t.Errorf("feature = %+v", f)
	}
	if len(f.Claims) != 2 {
		t.Fatalf("claims = %+v, want 2", f.Claims)
	}
	fs, err := s.Features(ctx, "bases")
	if err != nil || len(fs) != 1 || len(fs[0].Claims) != 2 {
		t.Fatalf("Features = %+v, %v", fs, err)
	}

	// The passage -> features index: p004-01 backs the base and the square.
	refs, err := s.PassageFeatures(ctx, "p004-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 2 || refs[0].Feature != "gyumri-102nd-base" || refs[1].Feature != "square" {
		t.Errorf("PassageFeatures = %+v", refs)
	}
	p, err := s.Passage(ctx, "p004-02")
	if err != nil || p.Verified != layers.VerifiedExact || !strings.HasPrefix(p.Exact, "However, these claims") {
		t.Errorf("Passage = %+v, %v", p, err)
	}
	claims, err := s.Claims(ctx)
	if err != nil || len(claims) != 3 {
		t.Errorf("Claims = %d, %v; want 3", len(claims), err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("bbolt check: %v", err)
	}
	d, err := layers.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if ps := layers.Check(d); len(ps) > 0 {
		t.Errorf("stored dataset fails Check: %v", ps)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t), nil); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"layer":           second(s.Layer(ctx, "nope")),
		"features":        second(s.Features(ctx, "nope")),
		"feature":         second(s.Feature(ctx, "bases", "nope")),
		"feature layer":   second(s.Feature(ctx, "nope", "gyumri-102nd-base")),
		"source":          second(s.Source(ctx, "nope")),
		"passage":         second(s.Passage(ctx, "nope")),
		"passage sources": second(s.Passages(ctx, "nope")),
		"index":           second(s.PassageFeatures(ctx, "nope")),
	} {
		if layers.ErrorCode(err) != layers.ENOTFOUND {
			t.Errorf("%s: error %v, want not_found", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestFailedImportChangesNothing(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if _, err := s.Import(ctx, mini(t), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	encBefore, _ := layers.EncodeLayer(ctx, s, "bases")

	tests := map[string]func(d *layers.Dataset){
		"claim on missing passage": func(d *layers.Dataset) { d.Features["bases"][0].Claims[0].Passage = "p-missing" },
		"bad geometry":             func(d *layers.Dataset) { d.Features["bases"][0].Geometry = orb.Point{0, 95} },
		"source text changed": func(d *layers.Dataset) {
			d.Sources[0].Text = strings.Replace(d.Sources[0].Text, "Gyumri", "Gymri", 1)
			d.Passages = nil // the stored passages must still hold
		},
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			d := mini(t)
			d.Features["bases"][0].Properties["name"] = "renamed" // a change that must not land
			breakIt(d)
			_, err := s.Import(ctx, d, nil)
			if layers.ErrorCode(err) != layers.EINVALID {
				t.Fatalf("Import error = %v, want invalid", err)
			}
			if v, _ := s.Version(ctx); v != 1 {
				t.Errorf("version = %d after a failed import, want 1", v)
			}
			enc, _ := layers.EncodeLayer(ctx, s, "bases")
			if !bytes.Equal(enc, encBefore) {
				t.Error("layer changed after a failed import")
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("database file changed after a failed import")
			}
		})
	}
}

func TestReimportReplacesLayer(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.Import(ctx, mini(t), nil); err != nil {
		t.Fatal(err)
	}
	l1, _ := s.Layer(ctx, "zones")
	d := mini(t)
	d.Features["zones"][0].Claims = d.Features["zones"][0].Claims[:1]
	d.Features["zones"][0].Properties["name"] = "Renamed square"
	d.Features["zones"][0].ID = "square-2"
	v, err := s.Import(ctx, &layers.Dataset{Layers: d.Layers[1:], Features: map[string][]layers.Feature{"zones": d.Features["zones"]}, Files: map[string]string{}}, nil)
	if err != nil || v != 2 {
		t.Fatalf("Import = %d, %v", v, err)
	}
	l2, _ := s.Layer(ctx, "zones")
	if l1.Revision == l2.Revision {
		t.Error("revision did not change with the layer")
	}
	if _, err := s.Feature(ctx, "zones", "square"); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("old feature survived the replace: %v", err)
	}
	refs, _ := s.PassageFeatures(ctx, "p004-01")
	if len(refs) != 2 || refs[1].Feature != "square-2" {
		t.Errorf("index after replace = %+v", refs)
	}
	b, _ := s.Layer(ctx, "bases")
	if b.Version != 1 {
		t.Errorf("untouched layer version = %d, want 1", b.Version)
	}
}

func TestOpenLocked(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := Open(path, 300*time.Millisecond)
	if layers.ErrorCode(err) != layers.ELOCKED || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open = %v, want a locked error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %s", d)
	}
}
