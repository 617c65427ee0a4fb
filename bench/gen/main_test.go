package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func generate(t *testing.T, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	for _, kind := range []string{KindPoints, KindLines, KindPolygons, KindMixed} {
		a := generate(t, Options{N: 300, Seed: 7, Kind: kind})
		b := generate(t, Options{N: 300, Seed: 7, Kind: kind})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: same seed gave different bytes", kind)
		}
		c := generate(t, Options{N: 300, Seed: 8, Kind: kind})
		if bytes.Equal(a, c) {
			t.Errorf("%s: different seeds gave the same bytes", kind)
		}
	}
}

// TestGolden pins the bytes for one seed, so a change to the generator that
// would silently change every benchmark dataset shows up here.
func TestGolden(t *testing.T) {
	sum := sha256.Sum256(generate(t, Options{N: 50, Seed: 1, Kind: KindMixed}))
	const want = "1c386f81e9435630de83e0add29618bfc486c5995e2477ce40d81d2639b59bc4"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("sha256 of -n 50 -seed 1 -kind mixed is %s, was %s: datasets changed", got, want)
	}
}

func TestValid(t *testing.T) {
	for _, kind := range []string{KindPoints, KindLines, KindPolygons, KindMixed} {
		t.Run(kind, func(t *testing.T) {
			b := generate(t, Options{N: 2000, Seed: 3, Kind: kind, Claims: "p004-01", LayerID: "synthetic"})
			var doc struct {
				Type  string `json:"type"`
				Layer struct {
					ID string `json:"id"`
				} `json:"layer"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if doc.Type != "FeatureCollection" || doc.Layer.ID != "synthetic" {
				t.Fatalf("type %q layer %q", doc.Type, doc.Layer.ID)
			}
			fc, err := geojson.UnmarshalFeatureCollection(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(fc.Features) != 2000 {
				t.Fatalf("%d features", len(fc.Features))
			}
			seen := map[string]bool{}
			for _, f := range fc.Features {
				id, ok := f.ID.(string)
				if !ok || id == "" || seen[id] {
					t.Fatalf("bad or duplicate id %v", f.ID)
				}
				seen[id] = true
				if f.Properties.MustString("name", "") == "" || f.Properties.MustString("status", "") == "" {
					t.Fatalf("%s: name or status missing", id)
				}
				claims, _ := f.Properties["claims"].([]any)
				if len(claims) != 1 {
					t.Fatalf("%s: claims %v", id, f.Properties["claims"])
				}
				if !area.Contains(f.Geometry.Bound().Min) || !area.Contains(f.Geometry.Bound().Max) {
					t.Fatalf("%s: outside the area: %v", id, f.Geometry.Bound())
				}
				switch g := f.Geometry.(type) {
				case orb.Point:
				case orb.LineString:
					if len(g) < 2 {
						t.Fatalf("%s: line of %d points", id, len(g))
					}
				case orb.Polygon:
					checkPolygon(t, id, g)
				default:
					t.Fatalf("%s: unexpected geometry %T", id, g)
				}
			}
		})
	}
}

func checkPolygon(t *testing.T, id string, p orb.Polygon) {
	t.Helper()
	if len(p) != 1 {
		t.Fatalf("%s: %d rings", id, len(p))
	}
	r := p[0]
	if len(r) < 4 || !r.Closed() {
		t.Fatalf("%s: ring not closed or too short: %v", id, r)
	}
	if r.Orientation() != orb.CCW {
		t.Fatalf("%s: exterior ring is not counter-clockwise", id)
	}
	// Simple: no two non-adjacent edges meet.
	n := len(r) - 1
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if j == i+1 || (i == 0 && j == n-1) {
				continue
			}
			if segmentsIntersect(r[i], r[i+1], r[j], r[j+1]) {
				t.Fatalf("%s: edges %d and %d cross", id, i, j)
			}
		}
	}
}

func cross(o, a, b orb.Point) float64 {
	return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
}

func onSegment(p, q, r orb.Point) bool {
	return min(p[0], r[0]) <= q[0] && q[0] <= max(p[0], r[0]) &&
		min(p[1], r[1]) <= q[1] && q[1] <= max(p[1], r[1])
}

func segmentsIntersect(p1, p2, p3, p4 orb.Point) bool {
	d1, d2 := cross(p3, p4, p1), cross(p3, p4, p2)
	d3, d4 := cross(p1, p2, p3), cross(p1, p2, p4)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(p3, p1, p4)) || (d2 == 0 && onSegment(p3, p2, p4)) ||
		(d3 == 0 && onSegment(p1, p3, p2)) || (d4 == 0 && onSegment(p1, p4, p2))
}

func TestUnknownKind(t *testing.T) {
	if err := Generate(&bytes.Buffer{}, Options{N: 1, Kind: "circles"}); err == nil {
		t.Fatal("want an error for an unknown kind")
	}
}
