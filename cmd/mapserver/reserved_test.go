package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReservedPropertyNamesDownload imports a plain GeoJSON layer whose
// features carry the properties a QGIS export does (fid) and the names the
// downloads use themselves (id, geom, wkt), then opens its GeoPackage and
// CSV with GDAL: every feature is there with every property, renamed with
// the prop_ prefix where the name is taken.
func TestReservedPropertyNamesDownload(t *testing.T) {
	requireTool(t, "/usr/bin/ogrinfo")
	db := filepath.Join(t.TempDir(), "map.db")
	if _, stderr, code := run(t, "import", "../../data", "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	const n = 3
	var feats []string
	for i := 1; i <= n; i++ {
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","id":"q%d","geometry":{"type":"Point","coordinates":[44.%d,40.%d]},`+
			`"properties":{"fid":%d,"id":"own-%d","geom":"g%d","wkt":"w%d","name":"Point %d"}}`, i, i, i, i, i, i, i, i))
	}
	f := filepath.Join(t.TempDir(), "qgis.geojson")
	if err := os.WriteFile(f, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := run(t, "import", f, "--layer", "qgisexport", "--db", db); code != 0 {
		t.Fatalf("import of a layer with fid, id, geom and wkt properties: exit %d\n%s%s", code, out, stderr)
	}
	s := start(t, db)
	dir := t.TempDir()
	for _, ext := range []string{"gpkg", "csv"} {
		res, b := get(t, s.base+"/layers/qgisexport."+ext)
		if res.StatusCode != 200 {
			t.Fatalf("qgisexport.%s: %d %s", ext, res.StatusCode, b)
		}
		path := filepath.Join(dir, "qgisexport."+ext)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"-al", path, "qgisexport"}
		if ext == "csv" {
			args = []string{"-al", "-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO", path}
		}
		// Without -so: ogrinfo prints every feature with its fields.
		out, count := ogrinfoAll(t, args...)
		if count != n {
			t.Errorf("%s: GDAL counts %d features, want %d\n%s", ext, count, n, out)
		}
		for i := 1; i <= n; i++ {
			for _, want := range []string{
				fmt.Sprintf("prop_fid (Real) = %d", i), fmt.Sprintf("prop_id (String) = own-%d", i),
				fmt.Sprintf("prop_geom (String) = g%d", i), fmt.Sprintf("prop_wkt (String) = w%d", i),
				fmt.Sprintf("id (String) = q%d", i), fmt.Sprintf("name (String) = Point %d", i),
			} {
				if ext == "csv" {
					want = strings.Replace(want, "(Real)", "(String)", 1) // CSV columns are text unless told
				}
				if !strings.Contains(out, want) {
					t.Errorf("%s: GDAL does not show %q", ext, want)
				}
			}
		}
		if t.Failed() {
			t.Logf("ogrinfo %s:\n%s", ext, out)
		}
	}
}

// ogrinfoAll runs ogrinfo listing every feature, and counts the features
// it printed.
func ogrinfoAll(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("ogrinfo", append([]string{"-ro"}, args...)...)
	cmd.Env = append(os.Environ(), "CPL_DEBUG=OFF")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
	}
	if strings.Contains(string(out), "ERROR") {
		t.Errorf("ogrinfo %v reported an error:\n%s", args, out)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "OGRFeature(") {
			n++
		}
	}
	return string(out), n
}
