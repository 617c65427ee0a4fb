package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/tiles"
)

// unindexed hides the store's index: the server then answers items from a
// snapshot of the layer decoded in memory, as it did before the index.
type unindexed struct{ layers.Store }

// synthetic is a layer of n small polygons with dates and statuses.
func synthetic(n int) layers.LayerImport {
	return layers.LayerImport{
		File: "synthetic.geojson",
		ID:   func() string { return "synthetic" },
		Features: func(yield func(layers.Feature, error) bool) {
			for i := range n {
				lon := 40 + float64((i*7919)%8000)/1000
				lat := 39 + float64((i*104729)%4000)/1000
				k := 4 + i%9
				ring := make(orb.Ring, 0, k+1)
				for j := range k {
					a := float64(j) / float64(k) * 2 * math.Pi
					r := 0.004 + 0.03*float64(i%5)
					ring = append(ring, orb.Point{lon + r*math.Cos(a), lat + r*math.Sin(a)})
				}
				ring = append(ring, ring[0])
				props := map[string]any{"name": "feature " + strconv.Itoa(i), "status": []string{"active", "planned", "closed"}[i%3], "rank": float64(i % 7)}
				if i%4 != 0 {
					props["valid_from"] = strconv.Itoa(1990 + i%30)
				}
				if i%8 == 1 {
					props["valid_to"] = strconv.Itoa(2021 + i%3)
				}
				f := layers.Feature{ID: fmt.Sprintf("f-%05d", i), Geometry: orb.Polygon{ring}, Properties: props}
				if !yield(f, nil) {
					return
				}
			}
		},
		Layer: func() layers.Layer {
			return layers.Layer{ID: "synthetic", Title: "Synthetic", Kind: layers.KindOther, Plain: true}
		},
	}
}

var stampRe = regexp.MustCompile(`"timeStamp":"[^"]*"`)

// syntheticStore is a real bbolt file holding the mini dataset and a
// synthetic layer of n features.
func syntheticStore(t *testing.T, n int) *bolt.Store {
	t.Helper()
	return miniStore(t, synthetic(n))
}

// miniStore is a real bbolt file holding the mini dataset and the layers
// given.
func miniStore(t *testing.T, more ...layers.LayerImport) *bolt.Store {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := layers.ReadDir(testFS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	imp := d.Import()
	imp.Layers = append(imp.Layers, more...)
	if _, err := store.Import(context.Background(), imp, nil); err != nil {
		t.Fatal(err)
	}
	return store
}

// Items read from the store's index answer exactly what the in-memory
// snapshot answers, for every kind of query; so do the queryables and
// collection descriptions read from the store's layer records.
func TestItemsFromTheIndexMatchTheSnapshot(t *testing.T) {
	store := syntheticStore(t, 2500)
	assets := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>map</title>")}}
	indexed, err := New(store, Config{Assets: assets})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New(unindexed{store}, Config{Assets: assets})
	if err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"/collections/synthetic/items",
		"/collections/synthetic/items?limit=7&offset=2490",
		"/collections/synthetic/items?limit=10000",
		"/collections/synthetic/items?bbox=43,40,44,41&limit=1000",
		"/collections/synthetic/items?bbox=43.001,40.002,43.05,40.07",
		"/collections/synthetic/items?bbox=-180,-90,180,90&limit=3&offset=1000",
		"/collections/synthetic/items?bbox=179,-10,-179,10",     // across the antimeridian
		"/collections/synthetic/items?bbox=10,10,11,11",         // nothing
		"/collections/synthetic/items?bbox=44.5,41.5,44.5,41.5", // a point
		"/collections/synthetic/items?bbox=42,39,46,42&datetime=2000-01-01/2010-12-31&limit=500",
		"/collections/synthetic/items?datetime=2022-06-01&limit=500",
		"/collections/synthetic/items?status=planned&rank=3&limit=500",
		"/collections/synthetic/items?rank=3.0&limit=20&offset=100", // a number, compared as one
		"/collections/synthetic/items?status=Active",
		"/collections/synthetic/items?datetime=2022-06-01&status=active&limit=5&offset=40",
		"/collections/synthetic/items?bbox=41,39,47,43&status=closed&properties=name,status&limit=300",
		"/collections/synthetic/items?properties=&limit=5",
		"/collections/synthetic/items?bbox=42,39,46,42&f=html",
		"/collections/bases/items",
		"/collections/bases/items?bbox=43,40,45,42&properties=name,passage_ids",
		"/collections/zones/items?bbox=44,39,47,41",
		"/collections/synthetic/queryables",
		"/collections/bases/queryables",
		"/collections",
		"/collections/synthetic",
		"/collections/synthetic/items/f-00042",
		"/collections/synthetic/items/f-00042?f=html",
		"/collections/bases/items/gyumri-102nd-base",
		"/collections/bases/items/gyumri-102nd-base?f=html",
		"/collections/bases/items/nope",
		// Refused alike.
		"/collections/synthetic/items?properties=nope",
		"/collections/synthetic/items?nope=1",
		"/collections/synthetic/items?bbox=1,2,3",
		"/collections/nope/items",
	}
	for _, q := range queries {
		ra, a := do(t, indexed, "GET", q)
		rb, b := do(t, plain, "GET", q)
		a, b = stampRe.ReplaceAll(a, nil), stampRe.ReplaceAll(b, nil)
		if ra.StatusCode != rb.StatusCode || string(a) != string(b) {
			t.Errorf("%s:\nindex    %d %.600s\nsnapshot %d %.600s", q, ra.StatusCode, a, rb.StatusCode, b)
		}
	}
	// The queries above select something, not nothing alike.
	for q, want := range map[string][2]float64{
		"/collections/synthetic/items?limit=1":                                         {2500, 2500},
		"/collections/synthetic/items?bbox=43,40,44,41&limit=1":                        {50, 600},
		"/collections/synthetic/items?bbox=42,39,46,42&datetime=2000-01-01/2010-12-31": {50, 1500},
		"/collections/synthetic/items?status=planned&rank=3":                           {10, 200},
		"/collections/synthetic/items?bbox=41,39,47,43&status=closed&properties=name":  {100, 833},
	} {
		_, b := do(t, indexed, "GET", q)
		if n, _ := decode(t, b)["numberMatched"].(float64); n < want[0] || n > want[1] {
			t.Errorf("%s: %v matched, want %v", q, n, want)
		}
	}
	// The index answered without decoding the layer.
	if _, ok := indexed.snapshots.get("synthetic@" + mustLayer(t, store, "synthetic").Revision); ok {
		t.Error("an items query built a snapshot of the layer")
	}
}

func mustLayer(t *testing.T, s layers.Reader, id string) layers.Layer {
	t.Helper()
	l, err := s.Layer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A layer over MaxWholeLayer is never decoded whole: routes that need the
// whole layer refuse it, naming the limit, while items, features,
// queryables and collections still answer from the store's file.
func TestLayersOverTheLimitAreServedFromTheFile(t *testing.T) {
	store := syntheticStore(t, 300)
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 299})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/layers/synthetic.gpkg", "/layers/synthetic.csv", "/layers/synthetic.qml", "/layers/synthetic.qgz",
		"/collections/synthetic/items?bbox=40,39,48,43", "/collections/synthetic/items/f-00007",
		"/collections/synthetic/queryables", "/collections", "/collections/synthetic", "/layers/bases.geojson",
		"/tiles/synthetic.json", "/tiles/synthetic/6/39/24.mvt", "/tiles/synthetic/10/638/385.mvt", "/layers/synthetic.geojson",
		"/static/map.png?layers=synthetic&width=600&height=400", "/static/map.svg?layers=synthetic,bases&bbox=43,40,45,41"} {
		if res, b := do(t, s, "GET", path); res.StatusCode != 200 {
			t.Errorf("%s: %d %.300s", path, res.StatusCode, b)
		}
	}
	if _, ok := s.snapshots.get("synthetic@" + mustLayer(t, store, "synthetic").Revision); ok {
		t.Error("the layer over the limit was decoded")
	}
	if _, ok := s.snapshots.get("bases@" + mustLayer(t, store, "bases").Revision); !ok {
		t.Error("Warm left out a layer under the limit")
	}
}

// A layer over the limit downloads as GeoJSON streamed from the stored
// bodies: the same bytes the whole layer encodes to.
func TestStreamedGeoJSONIsTheLayer(t *testing.T) {
	store := syntheticStore(t, 2*streamChunk+7)
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"synthetic", "bases"} {
		res, got := do(t, s, "GET", "/layers/"+id+".geojson")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != mimeGeoJSON || !strings.Contains(res.Header.Get("Content-Disposition"), id+".geojson") {
			t.Fatalf("%s: %d %v", id, res.StatusCode, res.Header)
		}
		want, err := layers.EncodeLayer(context.Background(), store, id, styleLinks("http://example.com", id)...)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: streamed %d bytes, the encoded layer is %d", id, len(got), len(want))
		}
	}
	// A layer that does not exist is not found, not an empty file.
	var buf bytes.Buffer
	head, tail, err := collectionFrame(layers.Layer{ID: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeLayerGeoJSON(context.Background(), store, "synthetic-none", head, tail, &buf); layers.ErrorCode(err) != layers.ENOTFOUND {
		t.Errorf("missing layer: %v", err)
	}
}

// An items request that reads every feature of a layer over the
// whole-layer limit (a filter without a bbox) takes a slot of the
// expensive limiter; a page, an offset or a bbox does not.
func TestFiltersOfLargeLayersUseTheLimiter(t *testing.T) {
	s, err := New(syntheticStore(t, 2000), Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, MaxWholeLayer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.expensive = newLimiter(1, 10*time.Millisecond)
	release := holdSlot(s.expensive)
	scans := []string{
		"/collections/synthetic/items?status=planned&limit=5",
		"/collections/synthetic/items?datetime=2022-06-01&limit=5",
	}
	for _, u := range scans {
		if res, b := do(t, s, "GET", u); res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "too many expensive requests") {
			t.Errorf("%s with every slot taken: %d %s", u, res.StatusCode, b)
		}
	}
	for _, u := range []string{
		"/collections/synthetic/items?limit=5&offset=1990",
		"/collections/synthetic/items?bbox=43,40,44,41&status=planned&limit=5",
		"/collections/bases/items?status=active",
	} {
		if res, b := do(t, s, "GET", u); res.StatusCode != 200 {
			t.Errorf("%s with every slot taken: %d %s", u, res.StatusCode, b)
		}
	}
	release()
	res, b := do(t, s, "GET", scans[0])
	var got struct {
		Matched  int `json:"numberMatched"`
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &got); res.StatusCode != 200 || err != nil || got.Matched != 667 || len(got.Features) != 5 || got.Features[0].Properties["status"] != "planned" {
		t.Errorf("%s once the slot is free: %d %.300s", scans[0], res.StatusCode, b)
	}
}

// An items page of over bigPage features is built in a slot of the pages'
// limiter; a smaller page, and a page already built, are not held up.
func TestLargePagesAreBuiltFewAtATime(t *testing.T) {
	s, err := New(syntheticStore(t, 2000), Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
	if err != nil {
		t.Fatal(err)
	}
	s.bigPages = newLimiter(1, 10*time.Millisecond)
	const large = "/collections/synthetic/items?limit=5000"
	release := holdSlot(s.bigPages)
	if res, b := do(t, s, "GET", large); res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Errorf("%s with every slot taken: %d %.200s", large, res.StatusCode, b)
	}
	for _, u := range []string{
		"/collections/synthetic/items?limit=1000",
		"/collections/synthetic/items?limit=5000&offset=1500", // 500 left
		"/collections/bases/items?limit=10000",
	} {
		if res, b := do(t, s, "GET", u); res.StatusCode != 200 {
			t.Errorf("%s with every slot taken: %d %.200s", u, res.StatusCode, b)
		}
	}
	release()
	res, b := do(t, s, "GET", large)
	var page struct {
		Returned int `json:"numberReturned"`
	}
	if err := json.Unmarshal(b, &page); res.StatusCode != 200 || err != nil || page.Returned != 2000 {
		t.Fatalf("%s once the slot is free: %d %.200s", large, res.StatusCode, b)
	}
	release = holdSlot(s.bigPages)
	defer release()
	if res, b := do(t, s, "GET", large); res.StatusCode != 200 {
		t.Errorf("%s built before, with every slot taken: %d %.200s", large, res.StatusCode, b)
	}
}

// Warm decodes no layer the map draws from tiles: it is read from the
// file, and its snapshot (larger than the cache keeps, for bench's 100k
// polygons) would serve nothing. The layers the map holds whole are
// decoded, and the tiled layer's first-view tiles made from its levels.
func TestWarmDecodesNoTiledLayer(t *testing.T) {
	store := syntheticStore(t, mapTiledOver+1)
	s, err := New(store, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	syn := mustLayer(t, store, "synthetic")
	if tiled, err := s.drawnFromTiles(ctx, store, syn); err != nil || !tiled || syn.Count > s.cfg.MaxWholeLayer {
		t.Fatalf("synthetic: %d features, drawn from tiles %v (%v); the test needs a tiled layer under MaxWholeLayer", syn.Count, tiled, err)
	}
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.snapshots.get("synthetic@" + syn.Revision); ok {
		t.Error("Warm decoded the layer drawn from tiles")
	}
	if _, ok := s.snapshots.get("bases@" + mustLayer(t, store, "bases").Revision); !ok {
		t.Error("Warm left out bases, a layer the map holds whole")
	}
	cover := tiles.Cover(syn.Bound, warmTileZoom)
	if len(cover) == 0 {
		t.Fatal("no tile covers the layer")
	}
	for _, tl := range cover {
		key := fmt.Sprintf("synthetic/%d/%d/%d@%s", warmTileZoom, tl.X, tl.Y, syn.Revision)
		if _, ok := s.tiles.get(key); !ok {
			t.Errorf("Warm left out tile %s", key)
		}
	}
}
