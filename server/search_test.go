package server

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
)

type searchAnswer struct {
	Query    string      `json:"query"`
	Features []searchHit `json:"features"`
	More     bool        `json:"more"`
}

// searchServers serves the mini dataset and a synthetic layer of 2,500
// features, read through the store's index and, for comparison, from
// decoded layers.
func searchServers(t *testing.T) (indexed, plain *Server) {
	t.Helper()
	store := syntheticStore(t, 2500)
	var err error
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}
	if indexed, err = New(store, Config{Assets: assets}); err != nil {
		t.Fatal(err)
	}
	if plain, err = New(unindexed{store}, Config{Assets: assets}); err != nil {
		t.Fatal(err)
	}
	return indexed, plain
}

func TestSearch(t *testing.T) {
	indexed, plain := searchServers(t)
	cases := []struct {
		target string
		ids    []string // layer/id, in order
		more   bool
	}{
		// A feature deep in a large layer, found by its name.
		{"/search?q=feature%202499", []string{"synthetic/f-02499"}, false},
		// Case and diacritics folded: Gyumri written GYÜMRİ.
		{"/search?q=GY%C3%9CMR%C4%B0", []string{"bases/gyumri-102nd-base"}, false},
		// Only the layers named; names that start with the query come first.
		{"/search?q=feature%20249&layers=synthetic&limit=3", []string{"synthetic/f-00249", "synthetic/f-02490", "synthetic/f-02491"}, true},
		{"/search?q=feature%20249&layers=bases", nil, false},
		{"/search?q=no%20such%20place", nil, false},
	}
	for _, s := range []*Server{indexed, plain} {
		for _, tc := range cases {
			res, b := do(t, s, "GET", tc.target)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", tc.target, res.StatusCode, b)
			}
			var a searchAnswer
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range a.Features {
				got = append(got, h.Layer+"/"+h.ID)
				if len(h.BBox) != 4 || h.BBox[0] > h.BBox[2] || h.BBox[1] > h.BBox[3] || h.Name == "" {
					t.Errorf("%s: hit %+v lacks a bbox or name", tc.target, h)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.ids, " ") || a.More != tc.more {
				t.Errorf("%s: got %v more=%v, want %v more=%v", tc.target, got, a.More, tc.ids, tc.more)
			}
		}
	}
	// The index and the decoded layers answer the same bytes.
	for _, target := range []string{"/search?q=feature%2012", "/search?q=base&limit=100"} {
		_, a := do(t, indexed, "GET", target)
		_, b := do(t, plain, "GET", target)
		if string(a) != string(b) {
			t.Errorf("%s: index answered %s, decoded layers %s", target, a, b)
		}
	}
}

func TestSearchBadInput(t *testing.T) {
	s, _ := searchServers(t)
	for _, tc := range []struct {
		target string
		status int
		detail string
	}{
		{"/search", 400, "at least 2 letters"},
		{"/search?q=a", 400, "at least 2 letters"},
		{"/search?q=%CC%81%CC%81", 400, "at least 2 letters"}, // marks only: nothing left to search
		{"/search?q=" + strings.Repeat("x", 201), 400, "at most 200"},
		{"/search?q=gyumri&layers=nope", 400, `no layer "nope"`},
		{"/search?q=gyumri&layers=basemap", 400, `no layer "basemap"`},
		{"/search?q=gyumri&layers=,", 400, "names no layer"},
		{"/search?q=gyumri&limit=0", 400, "limit=0"},
		{"/search?q=gyumri&limit=101", 400, "limit=101"},
		{"/search?q=gyumri&bbox=1,2,3,4", 400, `unknown query parameter "bbox"`},
		{"/search?q=gyumri&v=99", 404, "v=99"},
	} {
		res, b := do(t, s, "GET", tc.target)
		if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s %s", tc.target, res.StatusCode, res.Header.Get("Content-Type"), b)
			continue
		}
		if d, _ := decode(t, b)["detail"].(string); !strings.Contains(d, tc.detail) {
			t.Errorf("%s: detail %q does not name %q", tc.target, d, tc.detail)
		}
	}
}

// places is a layer whose best matches for "kars" come last in id order,
// after many looser ones.
func places() layers.LayerImport {
	names := []struct{ id, name string }{{"z-exact", "Kars"}, {"y-prefix", "Kars Plateau"}, {"x-word", "Road to Kars"}, {"w-alias", "Qars"}}
	return layers.LayerImport{
		File: "places.geojson",
		ID:   func() string { return "places" },
		Features: func(yield func(layers.Feature, error) bool) {
			for i := range 300 { // "Kars" inside a word, ids first
				f := layers.Feature{ID: fmt.Sprintf("a-%03d", i), Geometry: orb.Point{43 + float64(i)/1000, 40.6}, Properties: map[string]any{"name": fmt.Sprintf("Akarsu %d", i)}}
				if !yield(f, nil) {
					return
				}
			}
			for i, n := range names {
				p := map[string]any{"name": n.name}
				if n.id == "w-alias" {
					p["aliases"] = "Kars Fortress"
				}
				if !yield(layers.Feature{ID: n.id, Geometry: orb.Point{43.1 + float64(i)/100, 40.6}, Properties: p}, nil) {
					return
				}
			}
		},
		Layer: func() layers.Layer {
			return layers.Layer{ID: "places", Title: "Places", Kind: layers.KindOther, Plain: true}
		},
	}
}

// The answer is the best matches, not the first found: the whole name,
// then its start, a later word, anywhere in it, then another name (an
// alias); shorter names first within a rank.
func TestSearchRanksBestFirst(t *testing.T) {
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Import(context.Background(), &layers.Import{Layers: []layers.LayerImport{places()}}, nil); err != nil {
		t.Fatal(err)
	}
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}
	for _, st := range []layers.Store{store, unindexed{store}} {
		s, err := New(st, Config{Assets: assets})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			target string
			ids    []string
			more   bool
		}{
			{"/search?q=kars&limit=6", []string{"z-exact", "y-prefix", "x-word", "a-000", "a-001", "a-002"}, true},
			{"/search?q=fortress", []string{"w-alias"}, false},
			{"/search?q=KARS%20p&limit=3", []string{"y-prefix"}, false},
			{"/search?q=karsu%2029&limit=4", []string{"a-029", "a-290", "a-291", "a-292"}, true},
		} {
			res, b := do(t, s, "GET", tc.target)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", tc.target, res.StatusCode, b)
			}
			var a searchAnswer
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range a.Features {
				got = append(got, h.ID)
			}
			if strings.Join(got, " ") != strings.Join(tc.ids, " ") || a.More != tc.more {
				t.Errorf("%T %s: got %v more=%v, want %v more=%v", st, tc.target, got, a.More, tc.ids, tc.more)
			}
		}
	}
}

// The static search index: a query goes down the shards of its first
// runes, and the shard it ends at holds every feature with a word that
// starts with it; no shard holds more than searchShardMax.
func TestSearchIndex(t *testing.T) {
	s, _ := searchServers(t)
	files := map[string][]byte{}
	err := s.searchIndex(context.Background(), "synthetic", func(file string, body []byte) error {
		if _, dup := files[file]; dup {
			t.Errorf("%s written twice", file)
		}
		files[file] = body
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var root struct{ Keys []string }
	if err := json.Unmarshal(files["index.json"], &root); err != nil {
		t.Fatal(err)
	}
	shard := func(key string) searchShard {
		t.Helper()
		var sh searchShard
		b, ok := files[searchShardFile(key)]
		if !ok {
			t.Fatalf("no shard for %q", key)
		}
		if err := json.Unmarshal(b, &sh); err != nil {
			t.Fatal(err)
		}
		return sh
	}
	// lookup finds needle as the map does on an export.
	lookup := func(needle string) []string {
		rs := []rune(needle)
		if !slices.Contains(root.Keys, string(rs[:2])) {
			return nil
		}
		k, sh := 2, shard(string(rs[:2]))
		for ; sh.More && k < len(rs) && slices.Contains(sh.Next, string(rs[k])); k++ {
			sh = shard(string(rs[:k+1]))
		}
		var ids []string
		for _, f := range sh.Features {
			for _, w := range wordSuffixes(foldSearch(f.Name)) {
				if strings.HasPrefix(w, needle) {
					ids = append(ids, f.ID)
					break
				}
			}
		}
		slices.Sort(ids)
		return ids
	}
	for needle, want := range map[string][]string{
		"feature 2499": {"f-02499"},
		"feature 249":  {"f-00249", "f-02490", "f-02491", "f-02492", "f-02493", "f-02494", "f-02495", "f-02496", "f-02497", "f-02498", "f-02499"},
		"2499":         {"f-02499"},
		"eature 2499":  nil, // inside a word: the server finds it, the static index does not
		"zz":           nil,
	} {
		if got := lookup(needle); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q: found %v, want %v", needle, got, want)
		}
	}
	if fe := shard("fe"); !fe.More || len(fe.Features) != searchShardMax {
		t.Errorf(`shard "fe": more=%v with %d features, want the %d shortest names and more`, fe.More, len(fe.Features), searchShardMax)
	}
	for f, b := range files {
		var sh searchShard
		if json.Unmarshal(b, &sh); len(sh.Features) > searchShardMax {
			t.Errorf("%s holds %d features", f, len(sh.Features))
		}
	}
}

// A search reads every stored body of each layer it covers; over a layer
// the server would not hold whole, that is expensive work, in its limiter:
// with every slot taken such a search answers 503, while a search of
// smaller layers goes on.
func TestSearchOfLargeLayersUsesTheLimiter(t *testing.T) {
	s, err := New(syntheticStore(t, 2000), Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.expensive = newLimiter(1, 10*time.Millisecond)
	release := holdSlot(s.expensive)
	const large = "/search?q=feature%2012"
	if res, b := do(t, s, "GET", large); res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "too many expensive requests") {
		t.Errorf("%s with every slot taken: %d %s", large, res.StatusCode, b)
	}
	if res, b := do(t, s, "GET", "/search?q=gyumri&layers=bases"); res.StatusCode != 200 || !strings.Contains(string(b), `"id":"gyumri-102nd-base"`) {
		t.Errorf("a search of a small layer with every slot taken: %d %s", res.StatusCode, b)
	}
	release()
	res, b := do(t, s, "GET", large)
	var got searchAnswer
	if err := json.Unmarshal(b, &got); res.StatusCode != 200 || err != nil || len(got.Features) == 0 || got.Features[0].Name != "feature 12" {
		t.Errorf("%s once the slot is free: %d %s", large, res.StatusCode, b)
	}
}
