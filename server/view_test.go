package server

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/tiles"
)

// A picture draws a layer over the whole-layer limit from the store's
// generalized levels, where its frame lies: the layer is never decoded
// whole, and its legend row counts the layer, not the view. The feature a
// picture is of is in it, titled by its name, even where the view's
// crowded cells thin it out.
func TestPicturesReadLargeLayersFromTheirLevels(t *testing.T) {
	store := syntheticStore(t, 2000)
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l := mustLayer(t, store, "synthetic")

	// A feature the picture's view thins out: the whole layer at 300 px.
	const width = 300
	view := l.Bound
	var shown []layers.Feature
	err = store.ReadTiles(ctx, "synthetic", func(st tiles.Stored) error {
		shown, err = tiles.View(st, view, viewZoom(view, width), "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(shown) == 0 || len(shown) >= l.Count {
		t.Fatalf("the view shows %d of %d features: not thinned", len(shown), l.Count)
	}
	var thinned string
	for i := range l.Count {
		id := fmt.Sprintf("f-%05d", i)
		if !slices.ContainsFunc(shown, func(f layers.Feature) bool { return f.ID == id }) {
			thinned = id
			break
		}
	}
	feat, err := store.Feature(ctx, "synthetic", thinned)
	if err != nil {
		t.Fatal(err)
	}

	bbox := fmt.Sprintf("%g,%g,%g,%g", view.Min[0], view.Min[1], view.Max[0], view.Max[1])
	legend := fmt.Sprintf("Synthetic (%d)", l.Count) // the layer's count, not the view's
	for _, tc := range []struct{ path, title, legend string }{
		{"/static/map.svg?layers=synthetic&width=300&height=200&bbox=" + bbox, "Synthetic", ""},
		{"/static/map.svg?layers=synthetic&width=1200&height=630&bbox=" + bbox, "Synthetic", legend},
		{"/static/map.svg?layers=synthetic&width=300&height=200&bbox=" + bbox + "&feature=synthetic/" + thinned, feat.Name(), ""},
		{"/static/map.svg?layers=synthetic&width=1200&height=630&feature=synthetic/" + thinned, feat.Name(), legend},
		{"/static/map.png?layers=synthetic&width=600&height=400", "", ""},
	} {
		res, body := do(t, s, "GET", tc.path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %.300s", tc.path, res.StatusCode, body)
		}
		if tc.title == "" {
			continue
		}
		m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(body)
		if m == nil || string(m[1]) != tc.title {
			t.Errorf("%s: title %q, want %q", tc.path, m, tc.title)
		}
		if tc.legend != "" && !bytes.Contains(body, []byte(">"+tc.legend+"<")) {
			t.Errorf("%s: no legend row %q", tc.path, tc.legend)
		}
	}
	if _, ok := s.snapshots.get("synthetic@" + l.Revision); ok {
		t.Error("a picture decoded the whole layer")
	}
}

// readCounter is a real store that counts the reads of its stored levels
// and the whole reads of its layers (what a snapshot decodes).
type readCounter struct {
	*bolt.Store
	reads, wholeReads atomic.Int32
}

func (r *readCounter) Features(ctx context.Context, id string) ([]layers.Feature, error) {
	r.wholeReads.Add(1)
	return r.Store.Features(ctx, id)
}

func (r *readCounter) ReadTiles(ctx context.Context, id string, fn func(tiles.Stored) error) error {
	r.reads.Add(1)
	return r.Store.ReadTiles(ctx, id, fn)
}

// A picture that reads a layer over the whole-layer limit for its view
// holds the features it read until it is drawn, so such pictures take a
// slot of their own limiter: with every slot taken one waits and answers
// 503, while a picture of layers drawn whole goes on. A page and oEmbed
// name their view from the same reading, kept per data version: the next
// visit reads nothing and needs no slot.
func TestViewReadsAreBounded(t *testing.T) {
	store := &readCounter{Store: syntheticStore(t, 2000)}
	page := []byte("<!doctype html><html><head><title>map</title></head><body></body></html>")
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: page}}, MaxWholeLayer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.views = newLimiter(1, 10*time.Millisecond)
	busy := func(path string, res_ int, b []byte) {
		t.Helper()
		if res_ != 503 || !strings.Contains(string(b), "too many expensive requests") {
			t.Errorf("%s with the slot taken: %d %.200q", path, res_, b)
		}
	}
	const large = "/static/map.png?layers=synthetic&width=600&height=400"
	const whole = "/static/map.png?layers=bases,zones&width=600&height=400"
	const pagePath = "/?layers=synthetic,bases"
	const oembed = "/oembed?url=" + "http%3A%2F%2Fexample.com%2F%3Flayers%3Dsynthetic"

	release := holdSlot(s.views)
	res, b := do(t, s, "GET", large)
	busy(large, res.StatusCode, b)
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("%s: no Retry-After", large)
	}
	if res, b := do(t, s, "GET", whole); res.StatusCode != 200 {
		t.Errorf("%s, drawn whole, with the slot taken: %d %.200s", whole, res.StatusCode, b)
	}
	res, b = do(t, s, "GET", pagePath, "Accept", "text/html")
	busy(pagePath, res.StatusCode, b)
	if n := store.reads.Load(); n != 0 {
		t.Errorf("the levels were read %d times without a slot", n)
	}
	release()

	for _, path := range []string{large, pagePath, oembed} {
		if res, b := do(t, s, "GET", path, "Accept", "text/html"); res.StatusCode != 200 {
			t.Fatalf("%s: %d %.200s", path, res.StatusCode, b)
		}
	}
	if n := store.reads.Load(); n != 3 {
		t.Errorf("three views read the levels %d times", n)
	}
	// Once described, a page and oEmbed need no slot and read nothing.
	release = holdSlot(s.views)
	defer release()
	res, b = do(t, s, "GET", pagePath, "Accept", "text/html")
	if res.StatusCode != 200 || !bytes.Contains(b, []byte(`content="Synthetic · Military bases"`)) {
		t.Errorf("%s again with the slot taken: %d %.400s", pagePath, res.StatusCode, b)
	}
	if res, b := do(t, s, "GET", oembed); res.StatusCode != 200 || !strings.Contains(string(b), `"title":"Synthetic"`) {
		t.Errorf("%s again with the slot taken: %d %.300s", oembed, res.StatusCode, b)
	}
	if n := store.reads.Load(); n != 3 {
		t.Errorf("the described views were read again: %d reads", n)
	}
}

// A layer under the whole-layer limit whose snapshot is larger than the
// snapshot cache keeps is drawn from its levels as well: decoded, it would
// be decoded anew for every picture (bench's 100k polygons: about a second
// and 400 MiB each). A layer whose snapshot the cache keeps is decoded
// once and drawn whole.
func TestPicturesReadLayersTooLargeToKeep(t *testing.T) {
	for _, tc := range []struct {
		name         string
		keep         int // the snapshot cache's cap, in bytes
		levelReads   int32
		wholeReads   int32
		snapshotKept bool
	}{
		{"kept", 128 << 20, 0, 1, true},
		{"too large to keep", 256 << 10, 2, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &readCounter{Store: syntheticStore(t, 2000)}
			s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
			if err != nil {
				t.Fatal(err)
			}
			s.snapshots.maxBytes = tc.keep
			l := mustLayer(t, store, "synthetic")
			if l.Count > s.cfg.MaxWholeLayer {
				t.Fatalf("%d features: over the whole-layer limit", l.Count)
			}
			b := l.Bound
			for _, bbox := range []string{
				fmt.Sprintf("%g,%g,%g,%g", b.Min[0], b.Min[1], b.Max[0], b.Max[1]),
				fmt.Sprintf("%g,%g,%g,%g", b.Min[0], b.Min[1], b.Center()[0], b.Center()[1]),
			} {
				path := "/static/map.png?layers=synthetic&width=600&height=400&bbox=" + bbox
				if res, body := do(t, s, "GET", path); res.StatusCode != 200 {
					t.Fatalf("%s: %d %.300s", path, res.StatusCode, body)
				}
			}
			if n := store.reads.Load(); n != tc.levelReads {
				t.Errorf("two pictures read the levels %d times, want %d", n, tc.levelReads)
			}
			if n := store.wholeReads.Load(); n != tc.wholeReads {
				t.Errorf("two pictures read the whole layer %d times, want %d", n, tc.wholeReads)
			}
			if _, ok := s.snapshots.get("synthetic@" + l.Revision); ok != tc.snapshotKept {
				t.Errorf("snapshot kept: %v, want %v", ok, tc.snapshotKept)
			}
		})
	}
}
