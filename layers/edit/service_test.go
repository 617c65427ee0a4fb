package edit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/places"
)

// newService is the write side on a real bbolt file holding the mini
// dataset, a basemap with one country (Testland, 43-45 E, 40-41.5 N) and
// an empty cited layer, sites; it returns an editor and a reviewer.
func newService(t testing.TB) (*Service, *bolt.Store, layers.User, layers.User) {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "edit.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
	if err != nil {
		t.Fatal(err)
	}
	d.Layers = append(d.Layers,
		layers.Layer{ID: "basemap", Title: "Basemap", Kind: layers.KindBasemap, Licence: "public domain"},
		layers.Layer{ID: "sites", Title: "Sites", Kind: layers.KindOther, Licence: "CC BY 4.0"})
	d.Features["basemap"] = []layers.Feature{{ID: "testland", Layer: "basemap",
		Geometry:   orb.Polygon{{{43, 40}, {45, 40}, {45, 41.5}, {43, 41.5}, {43, 40}}},
		Properties: map[string]any{"name": "Testland"}}}
	ctx := context.Background()
	if _, err := store.Import(ctx, d.Import(), nil); err != nil {
		t.Fatal(err)
	}
	ed := store.Editing()
	svc := New(Config{Store: store, Publisher: store, Users: ed, Changesets: ed})
	var us [2]layers.User
	for i, role := range []string{layers.RoleEditor, layers.RoleReviewer} {
		u, _, err := svc.AddUser(ctx, role+"1", role)
		if err != nil {
			t.Fatal(err)
		}
		us[i] = u
	}
	return svc, store, us[0], us[1]
}

func cited(id string, g orb.Geometry, props map[string]any) layers.Feature {
	p := map[string]any{"name": "Feature " + id}
	for k, v := range props {
		p[k] = v
	}
	return layers.Feature{ID: id, Geometry: g, Properties: p, Claims: []layers.Claim{
		{Passage: "p004-01", Aspect: "existence", Relation: layers.Supports, Basis: layers.Explicit}}}
}

// wantUnprocessable fails unless err is a 422 whose message holds want.
func wantUnprocessable(t *testing.T, what string, err error, want string) {
	t.Helper()
	if layers.ErrorCode(err) != layers.EUNPROCESSABLE || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v (code %q), want %q naming %q", what, err, layers.ErrorCode(err), layers.EUNPROCESSABLE, want)
	}
}

// A layer holds one geometry type (CONVENTIONS 3): a write of another is
// 422 naming the layer's type.
func TestWriteGeometryType(t *testing.T) {
	svc, _, ed, rev := newService(t)
	ctx := context.Background()
	line := orb.LineString{{44, 40.5}, {44.2, 40.6}}
	_, err := svc.Create(ctx, ed, "bases", cited("road", line, nil))
	wantUnprocessable(t, "a line in a layer of points", err, "layer bases holds points (Point or MultiPoint): this feature is a LineString")
	if _, err := svc.Create(ctx, ed, "bases", cited("multi", orb.MultiPoint{{44, 40.5}, {44.1, 40.6}}, nil)); err != nil {
		t.Errorf("a MultiPoint in a layer of points: %v", err)
	}
	// A replace, and a patch that changes only the geometry's type.
	_, err = svc.Replace(ctx, ed, "bases", "gyumri-102nd-base", cited("gyumri-102nd-base", orb.Polygon{{{43.8, 40.7}, {43.9, 40.7}, {43.9, 40.8}, {43.8, 40.7}}}, nil), "")
	wantUnprocessable(t, "a polygon replacing a point", err, "holds points")
	_, err = svc.Patch(ctx, ed, "bases", "gyumri-102nd-base", []byte(`{"geometry":{"type":"LineString","coordinates":[[43.8,40.7],[43.9,40.8]]}}`), "")
	wantUnprocessable(t, "a patch to a line", err, "holds points")
	cs, err := svc.Changesets(ctx, ed)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || len(cs[0].Edits) != 1 || cs[0].Edits[0].ID != "multi" {
		t.Errorf("refused writes left edits: %+v", cs)
	}
	// After a publish into the layer, its type still holds.
	if _, err := svc.Publish(ctx, rev, cs[0].ID, "a multipoint"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Create(ctx, ed, "bases", cited("road", line, nil))
	wantUnprocessable(t, "a line after a publish", err, "layer bases holds points")
}

// An empty layer takes the type of its first feature: publishing a
// changeset that adds two types to it is refused, naming the odd one.
func TestPublishGeometryType(t *testing.T) {
	svc, store, ed, rev := newService(t)
	ctx := context.Background()
	if _, err := svc.Create(ctx, ed, "sites", cited("a-point", orb.Point{44, 40.5}, nil)); err != nil {
		t.Fatal(err)
	}
	r, err := svc.Create(ctx, ed, "sites", cited("a-line", orb.LineString{{44, 40.5}, {44.2, 40.6}}, nil))
	if err != nil {
		t.Fatal(err) // the layer is empty: a draft cannot know yet
	}
	v0, _ := store.Version(ctx)
	_, err = svc.Publish(ctx, rev, r.Changeset, "two types")
	wantUnprocessable(t, "publishing two types into one layer", err, "1 feature(s) at fault")
	if err == nil || !strings.Contains(layers.ErrorMessage(err)+problemsOf(err), "sites/a-line") {
		t.Errorf("the refusal does not name sites/a-line: %v", err)
	}
	if v, _ := store.Version(ctx); v != v0 {
		t.Errorf("a refused publish made version %d", v)
	}
	if _, err := svc.Delete(ctx, ed, "sites", "a-line", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, rev, r.Changeset, "one type"); err != nil {
		t.Fatalf("publishing points only: %v", err)
	}
	_, err = svc.Create(ctx, ed, "sites", cited("a-line", orb.LineString{{44, 40.5}, {44.2, 40.6}}, nil))
	wantUnprocessable(t, "a line after the points were published", err, "layer sites holds points")
}

func problemsOf(err error) string {
	var b strings.Builder
	for e := range strings.SplitSeq(err.Error(), "\n") {
		b.WriteString(e)
	}
	return b.String()
}

// A feature's `country` (CONVENTIONS 4) is checked on write: every vertex
// within 500 m of the named basemap countries.
func TestWriteCountry(t *testing.T) {
	svc, _, ed, _ := newService(t)
	ctx := context.Background()
	for _, tt := range []struct {
		id      string
		g       orb.Geometry
		country any
		want    string // "" when accepted
	}{
		{"inside", orb.Point{44, 40.5}, "Testland", ""},
		{"near-the-edge", orb.Point{45.004, 40.5}, "Testland", ""}, // about 340 m outside
		{"outside", orb.Point{46.5, 40.5}, "Testland", "lies 126"},
		{"unknown", orb.Point{44, 40.5}, "Narnia", `country "Narnia" is not the name of a basemap country`},
		{"not-a-string", orb.Point{44, 40.5}, 3.0, "country must be a string"},
		{"no-country", orb.Point{46.5, 40.5}, nil, ""},
	} {
		props := map[string]any{}
		if tt.country != nil {
			props["country"] = tt.country
		}
		_, err := svc.Create(ctx, ed, "bases", cited(tt.id, tt.g, props))
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.id, err)
			}
			continue
		}
		wantUnprocessable(t, tt.id, err, tt.want)
	}
}

// A version that re-anchors a passage a feature cites (a new revision of
// its source) is in the feature's history, though the feature's own record
// did not change.
func TestHistoryListsPassageChanges(t *testing.T) {
	svc, store, ed, rev := newService(t)
	ctx := context.Background()
	r, err := svc.Create(ctx, ed, "bases", cited("new-base", orb.Point{44, 40.5}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, rev, r.Changeset, "a new base"); err != nil {
		t.Fatal(err)
	}
	old, err := store.Source(ctx, "s004")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := svc.AddRevision(ctx, ed, "s004", SourceInput{Text: "Correction appended.\n" + old.Text})
	if err != nil {
		t.Fatal(err)
	}
	if len(rv.Reanchored) == 0 {
		t.Fatalf("nothing re-anchored: %+v", rv)
	}
	if _, err := svc.Publish(ctx, rev, rv.Changeset, "corrected article"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id   string
		want []string // ops, oldest first
	}{
		{"new-base", []string{layers.OpCreate, OpEvidence}},
		{"gyumri-102nd-base", []string{layers.OpCreate, OpEvidence}},
	} {
		vs, err := svc.History(ctx, "bases", tt.id)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, v := range vs {
			ops = append(ops, v.Diff.Op)
		}
		if strings.Join(ops, ",") != strings.Join(tt.want, ",") {
			t.Fatalf("%s: history ops %v, want %v", tt.id, ops, tt.want)
		}
		last := vs[len(vs)-1]
		if last.Message != "corrected article" || len(last.Passages) == 0 {
			t.Fatalf("%s: the evidence entry: %+v", tt.id, last)
		}
		pc := last.Passages[0]
		if pc.ID != "p004-01" || pc.Before == nil || pc.After == nil || pc.Before.Source != "s004" || pc.After.Source != rv.Source.ID || pc.After.Start == pc.Before.Start {
			t.Errorf("%s: passage change %+v -> %+v", tt.id, pc.Before, pc.After)
		}
	}
}

// Draft writes commit in groups: many at once by several editors, each
// answered only once on disk. A second service reading the same file (as
// after a restart) finds every answered write, with its last value.
func TestGroupCommitKeepsEveryAnsweredWrite(t *testing.T) {
	svc, store, ed, _ := newService(t)
	ctx := context.Background()
	users := []layers.User{ed}
	for i := 1; i < 4; i++ {
		u, _, err := svc.AddUser(ctx, fmt.Sprintf("editor-%d", i), layers.RoleEditor)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	const rounds = 20
	var wg sync.WaitGroup
	for i, u := range users {
		for j := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("g-%d-%d", i, j)
				if _, err := svc.Create(ctx, u, "bases", cited(id, orb.Point{44, 40.5}, nil)); err != nil {
					t.Error(err)
					return
				}
				for n := 1; n <= rounds; n++ {
					if _, err := svc.Patch(ctx, u, "bases", id, fmt.Appendf(nil, `{"properties":{"n":%d}}`, n), ""); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	again := New(Config{Store: store, Publisher: store, Users: store.Editing(), Changesets: store.Editing()})
	for i, u := range users {
		cs, err := again.OpenChangeset(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(cs.Edits) != 3 {
			t.Errorf("%s's changeset on disk holds %d edits, want 3", u.Name, len(cs.Edits))
		}
		for j := range 3 {
			e := cs.Edit("bases", fmt.Sprintf("g-%d-%d", i, j))
			if e == nil || e.After == nil || e.After.Properties["n"] != float64(rounds) {
				t.Errorf("%s: edit g-%d-%d on disk: %+v", u.Name, i, j, e)
			}
		}
	}
}

// failingCommits is the real store whose group commits fail once told to:
// a disk that stops taking writes.
type failingCommits struct {
	*bolt.Editing
	fail atomic.Bool
}

func (f *failingCommits) SaveChangesets(ctx context.Context, cs []*layers.Changeset) error {
	if f.fail.Load() {
		return errors.New("write /x.db: no space left on device")
	}
	return f.Editing.SaveChangesets(ctx, cs)
}

// A commit that fails is an error to the writes waiting for it, and stops
// every later write, since memory may no longer match the file; a restart
// reads the file, which has every write that was answered and not the one
// that failed.
func TestCommitFailureStopsWrites(t *testing.T) {
	_, store, ed, _ := newService(t)
	ctx := context.Background()
	fc := &failingCommits{Editing: store.Editing()}
	svc := New(Config{Store: store, Publisher: store, Users: store.Editing(), Changesets: fc})
	if _, err := svc.Create(ctx, ed, "bases", cited("kept", orb.Point{44, 40.5}, map[string]any{"n": 1})); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Patch(ctx, ed, "bases", "kept", []byte(`{"properties":{"n":2}}`), ""); err != nil {
		t.Fatal(err)
	}
	fc.fail.Store(true)
	_, err := svc.Patch(ctx, ed, "bases", "kept", []byte(`{"properties":{"n":3}}`), "")
	if layers.ErrorCode(err) != layers.EINTERNAL || !strings.Contains(err.Error(), "not saved") {
		t.Errorf("a write whose commit failed: %v", err)
	}
	fc.fail.Store(false)
	_, err = svc.Patch(ctx, ed, "bases", "kept", []byte(`{"properties":{"n":4}}`), "")
	if layers.ErrorCode(err) != layers.EINTERNAL || !strings.Contains(err.Error(), "restart") {
		t.Errorf("a write after a failed commit: %v", err)
	}
	again := New(Config{Store: store, Publisher: store, Users: store.Editing(), Changesets: store.Editing()})
	h, err := again.Head(ctx, ed, "bases", "kept")
	if err != nil || h.Feature == nil || h.Feature.Properties["n"] != float64(2) {
		t.Errorf("after a restart the draft reads %+v (%v), want n=2", h.Feature, err)
	}
}

// A layer's geometry class comes from the store's index, without decoding
// its features (a layer of a million would take gigabytes); a stale
// revision gets none, so the caller decodes the current one.
func TestIndexedClass(t *testing.T) {
	svc, store, _, _ := newService(t)
	ctx := context.Background()
	for id, want := range map[string]string{"bases": geo.Points, "basemap": geo.Areas, "sites": ""} {
		l, err := store.Layer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := svc.indexedClass(ctx, l); err != nil || got != want {
			t.Errorf("%s: class %q (%v), want %q", id, got, err, want)
		}
		l.Revision += "-stale"
		if got, err := svc.indexedClass(ctx, l); err != nil || got != "" {
			t.Errorf("%s at a stale revision: class %q (%v), want none", id, got, err)
		}
	}
}

// Place suggestions offer the features of layers up to PlaceLayerMax
// features; a larger layer's are left out of the matcher.
func TestSuggestionsLeaveOutLargeLayers(t *testing.T) {
	svc, store, editor, _ := newService(t)
	ctx := context.Background()
	depot := cited("depot", orb.Point{44, 40.5}, map[string]any{"name": "Testville Depot"})
	yard := cited("yard", orb.Point{44.5, 40.5}, map[string]any{"name": "Otherplace Yard"})
	depot.Layer, yard.Layer = "sites", "sites"
	if _, err := store.Publish(ctx, &layers.Change{Author: "test", Upserts: []layers.Feature{depot, yard}}); err != nil {
		t.Fatal(err)
	}
	src, _, err := svc.AddSource(ctx, editor, SourceInput{Title: "A note", Language: "en",
		Text: "Supplies reached the Testville Depot by rail in the winter."})
	if err != nil {
		t.Fatal(err)
	}
	ed := store.Editing()
	for _, tc := range []struct {
		limit int
		want  bool
	}{{0, true}, {2, true}, {1, false}} {
		svc := New(Config{Store: store, Publisher: store, Users: ed, Changesets: ed, PlaceLayerMax: tc.limit})
		sugs, err := svc.Suggestions(ctx, editor, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := slices.ContainsFunc(sugs, func(s places.Suggestion) bool {
			return slices.ContainsFunc(s.Candidates, func(c places.Candidate) bool { return c.Feature == "sites/depot" })
		})
		if found != tc.want {
			t.Errorf("limit %d on a layer of 2 features: the depot suggested %v, want %v (%+v)", tc.limit, found, tc.want, sugs)
		}
	}
}
