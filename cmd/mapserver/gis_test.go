package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// These tests point real GIS clients at a running mapserver: GDAL's ogrinfo
// (Debian gdal-bin) and QGIS 3.22 headless (Debian python3-qgis, through
// /usr/bin/python3). `make test` installs both.

func requireTool(t *testing.T, path string) {
	t.Helper()
	if testing.Short() {
		t.Skip("drives an outside program; skipped in -short mode (make check)")
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CITEMAP_SKIP_GIS") != "" {
			t.Skipf("%s missing and CITEMAP_SKIP_GIS set", path)
		}
		t.Fatalf("%s is missing: run `make deps` (installs gdal-bin and python3-qgis)", path)
	}
}

type collectionInfo struct {
	ID        string
	ItemCount int
}

func collectionsOf(t *testing.T, base string) []collectionInfo {
	t.Helper()
	_, b := get(t, base+"/collections?f=json")
	var body struct{ Collections []collectionInfo }
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Collections) != 11 { // 5 cited layers, countries, 5 context layers
		t.Fatalf("%d collections", len(body.Collections))
	}
	return body.Collections
}

var featureCount = regexp.MustCompile(`Feature Count: (\d+)`)

func ogrinfo(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("ogrinfo", append([]string{"-ro", "-so"}, args...)...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
	}
	if strings.Contains(string(out), "ERROR") {
		t.Errorf("ogrinfo %v reported an error:\n%s", args, out)
	}
	m := featureCount.FindStringSubmatch(string(out))
	if m == nil {
		return string(out), -1
	}
	n, _ := strconv.Atoi(m[1])
	return string(out), n
}

func TestGDALReadsTheAPI(t *testing.T) {
	requireTool(t, "/usr/bin/ogrinfo")
	s := start(t, filepath.Join(t.TempDir(), "map.db"))
	out, _ := ogrinfo(t, "OAPIF:"+s.base)
	for _, c := range collectionsOf(t, s.base) {
		if !strings.Contains(out, ": "+c.ID+" (") {
			t.Errorf("ogrinfo does not list %s:\n%s", c.ID, out)
		}
		_, n := ogrinfo(t, "-al", "OAPIF:"+s.base, c.ID)
		t.Logf("ogrinfo OAPIF %s: Feature Count: %d (itemCount %d)", c.ID, n, c.ItemCount)
		if n != c.ItemCount {
			t.Errorf("%s: ogrinfo counts %d features, the collection has %d", c.ID, n, c.ItemCount)
		}
	}
}

func TestGDALOpensTheDownloads(t *testing.T) {
	requireTool(t, "/usr/bin/ogrinfo")
	s := start(t, filepath.Join(t.TempDir(), "map.db"))
	dir := t.TempDir()
	save := func(path string) string {
		res, b := get(t, s.base+path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("%s: %d, disposition %q", path, res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		f := filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range collectionsOf(t, s.base) {
		for _, ext := range []string{"geojson", "gpkg", "csv"} {
			f := save("/layers/" + c.ID + "." + ext)
			args := []string{"-al", f}
			if ext == "csv" {
				args = []string{"-al", "-oo", "GEOM_POSSIBLE_NAMES=wkt", "-oo", "KEEP_GEOM_COLUMNS=NO", f}
			}
			if ext == "gpkg" {
				args = []string{"-al", f, c.ID}
			}
			out, n := ogrinfo(t, args...)
			t.Logf("ogrinfo %s.%s: Feature Count: %d", c.ID, ext, n)
			if n != c.ItemCount {
				t.Errorf("%s.%s: %d features, want %d", c.ID, ext, n, c.ItemCount)
			}
			if ext != "geojson" && !strings.Contains(out, "passage_ids") {
				t.Errorf("%s.%s lacks passage_ids", c.ID, ext)
			}
		}
		// The GeoPackage carries the evidence table too.
		out, n := ogrinfo(t, "-al", filepath.Join(dir, c.ID+".gpkg"), c.ID+"_evidence")
		if n < c.ItemCount || !strings.Contains(out, "quote: String") || !strings.Contains(out, "passage_url: String") {
			t.Errorf("%s_evidence: %d rows:\n%s", c.ID, n, out)
		}
	}
	f := save("/passages.csv")
	_, n := ogrinfo(t, "-al", f)
	_, b := get(t, s.base+"/annotations")
	var ann struct{ Total int }
	if err := json.Unmarshal(b, &ann); err != nil {
		t.Fatalf("/annotations: %v", err)
	}
	t.Logf("ogrinfo passages.csv: Feature Count: %d (claims %d)", n, ann.Total)
	if n != ann.Total || n == 0 {
		t.Errorf("passages.csv has %d rows, there are %d claims", n, ann.Total)
	}
}

func TestQGISLoadsEveryCollection(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	if err := exec.Command("/usr/bin/python3", "-c", "import qgis.core").Run(); err != nil {
		requireTool(t, "/usr/lib/python3/dist-packages/qgis/core/__init__.py")
	}
	s := start(t, filepath.Join(t.TempDir(), "map.db"))
	cmd := exec.Command("/usr/bin/python3", "testdata/qgis_oapif.py", s.base)
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "XDG_RUNTIME_DIR="+t.TempDir())
	out, err := cmd.Output()
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var r struct {
			ID                                   string
			Valid                                bool
			FeatureCount, Fetched, NumberMatched int
			Geometry                             string
			Fields                               []string
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		lines++
		t.Logf("QGIS %s: valid=%v featureCount=%d fetched=%d numberMatched=%d geometry=%s fields=%d",
			r.ID, r.Valid, r.FeatureCount, r.Fetched, r.NumberMatched, r.Geometry, len(r.Fields))
		if !r.Valid || r.FeatureCount != r.NumberMatched || r.Fetched != r.NumberMatched {
			t.Errorf("QGIS layer %s: %+v", r.ID, r)
		}
	}
	if err != nil || lines != 11 {
		t.Fatalf("QGIS script: %v, %d layers reported\n%s", err, lines, out)
	}
}

// Walking `next` with limit=3 returns every feature of every collection
// exactly once, through absolute links.
func TestPagingWalk(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "map.db"))
	for _, c := range collectionsOf(t, s.base) {
		seen := map[string]int{}
		next := s.base + "/collections/" + c.ID + "/items?limit=3"
		pages := 0
		for next != "" && pages < 100 {
			pages++
			res, b := get(t, next)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d", next, res.StatusCode)
			}
			var fc struct {
				NumberMatched, NumberReturned int
				Features                      []struct{ ID string }
				Links                         []struct{ Rel, Href, Type string }
			}
			if err := json.Unmarshal(b, &fc); err != nil {
				t.Fatal(err)
			}
			if fc.NumberMatched != c.ItemCount || fc.NumberReturned != len(fc.Features) || fc.NumberReturned > 3 {
				t.Errorf("%s: matched %d returned %d (%d features)", next, fc.NumberMatched, fc.NumberReturned, len(fc.Features))
			}
			for _, f := range fc.Features {
				seen[f.ID]++
			}
			next = ""
			for _, l := range fc.Links {
				if l.Rel == "next" {
					if !strings.HasPrefix(l.Href, s.base) {
						t.Fatalf("next link %q is not absolute", l.Href)
					}
					next = l.Href
				}
			}
		}
		if len(seen) != c.ItemCount {
			t.Errorf("%s: walked %d distinct features in %d pages, want %d", c.ID, len(seen), pages, c.ItemCount)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s: feature %s returned %d times", c.ID, id, n)
			}
		}
		t.Log(fmt.Sprintf("%s: %d features in %d pages of 3", c.ID, len(seen), pages))
	}
}
