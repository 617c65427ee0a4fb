package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A layer holds one geometry type: import and check refuse a mix, naming the
// first feature of the second type; --split-geometry imports a plain file
// that mixes them as one layer per type.
func TestOneGeometryTypePerLayer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	dir := t.TempDir()
	feature := func(id, geom string) string {
		return `{"type":"Feature","id":"` + id + `","geometry":` + geom + `,"properties":{"name":"` + id + `"}}`
	}
	point := `{"type":"Point","coordinates":[44,40]}`
	multiPoint := `{"type":"MultiPoint","coordinates":[[44,40],[45,41]]}`
	line := `{"type":"LineString","coordinates":[[44,40],[45,41]]}`
	area := `{"type":"Polygon","coordinates":[[[44,40],[45,40],[45,41],[44,40]]]}`
	write := func(name string, feats ...string) string {
		p := filepath.Join(dir, name)
		body := `{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `]}`
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mixed := write("mixed.geojson", feature("a", point), feature("b", multiPoint), feature("c", line), feature("d", area), feature("e", line))

	before := fileHash(t, db)
	_, stderr, code := run(t, "import", mixed, "--db", db)
	if code == 0 {
		t.Fatal("a layer of points, lines and areas imported")
	}
	for _, want := range []string{"mixed.geojson", "mixed/c", "is a LineString, the first feature of a second geometry type", "first feature, a, is a Point", "--split-geometry"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "mixed/d") || strings.Contains(stderr, "mixed/e") {
		t.Errorf("only the first feature of a second type is named:\n%s", stderr)
	}
	if fileHash(t, db) != before {
		t.Error("a refused import changed the database")
	}

	// check on a folder refuses it too.
	folder := t.TempDir()
	os.WriteFile(filepath.Join(folder, "mixed.geojson"), must(os.ReadFile(mixed)), 0o644)
	out, _, code := run(t, "check", folder)
	if code == 0 || !strings.Contains(out, "mixed/c") || !strings.Contains(out, "second geometry type") {
		t.Errorf("check of a mixed layer: exit %d\n%s", code, out)
	}

	// Points and MultiPoints are one type.
	if out, stderr, code := run(t, "import", write("dots.geojson", feature("p1", point), feature("p2", multiPoint)), "--db", db); code != 0 {
		t.Errorf("Point and MultiPoint refused: %s %s", out, stderr)
	}

	out, stderr, code = run(t, "import", mixed, "--split-geometry", "--db", db)
	if code != 0 || !strings.Contains(out, "imported 3 layer(s) with 5 feature(s)") {
		t.Fatalf("--split-geometry: exit %d %s %s", code, out, stderr)
	}
	for layer, ids := range map[string][]string{"mixed-points": {"a", "b"}, "mixed-lines": {"c", "e"}, "mixed-areas": {"d"}} {
		out, stderr, code := run(t, "export", layer, "--db", db)
		if code != 0 {
			t.Errorf("export %s: %s", layer, stderr)
			continue
		}
		if n := strings.Count(out, `"type":"Feature"`); n != len(ids) {
			t.Errorf("%s holds %d features, want %v:\n%s", layer, n, ids, out)
		}
		for _, id := range ids {
			if !strings.Contains(out, `"id":"`+id+`"`) {
				t.Errorf("%s lacks %s", layer, id)
			}
		}
	}
	if _, _, code := run(t, "export", "mixed", "--db", db); code == 0 {
		t.Error("the unsplit layer exists")
	}
	if _, stderr, code := run(t, "import", "../../data", "--split-geometry", "--db", db); code == 0 || !strings.Contains(stderr, "single GeoJSON file") {
		t.Errorf("--split-geometry on a folder: exit %d %s", code, stderr)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
