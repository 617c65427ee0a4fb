package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// qgisArtifacts is where the QGIS renders are kept: the styled GeoPackage
// renders are committed, so a change in how a layer looks shows in review.
const qgisArtifacts = "../../test-artifacts/qgis"

type qgisRecord struct {
	Kind, ID, Source, Error          string
	Valid, Read                      bool
	LayerType, ExpectedType          string
	FeatureTypes                     map[string]int
	Count, FeatureCount, Hit         int
	NumberMatched                    int
	Missed, ZoomMissed               []any
	Fields                           []string
	Png, ZoomPng, Renderer           string
	RendererColors, QMLColors        []string `json:"-"`
	RendererColorsJ                  []string `json:"rendererColors"`
	QMLColorsJ                       []string `json:"qmlColors"`
	Labels                           bool
	LabelField                       string
	ZoomHit, Relations, Gyumri       int
	ParentRenderer                   string
	Evidence                         []map[string]any
	Names, GyumriPassages            []string
	Mapping, Left, Right, Type, GDAL string
}

// TestQGISOpensEveryCollectionAndDownload drives QGIS 3.22 headless as an
// analyst would: every collection by the server address (OAPIF) and every
// download (GeoJSON, GeoPackage, CSV) loads with one geometry type that every
// feature has and the collection states, and draws every feature; the
// GeoPackage opens with the map's style applied, and the Gyumri base
// reaches its quotes through the evidence relation. The collection's vector
// tiles, opened as a Vector Tile layer, draw every feature too.
func TestQGISOpensEveryCollectionAndDownload(t *testing.T) {
	requireTool(t, "/usr/bin/python3")
	if err := exec.Command("/usr/bin/python3", "-c", "import qgis.core").Run(); err != nil {
		requireTool(t, "/usr/lib/python3/dist-packages/qgis/core/__init__.py")
	}
	s := start(t, filepath.Join(t.TempDir(), "map.db"))
	if err := os.MkdirAll(qgisArtifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/qgis_check.py", s.base, t.TempDir(), qgisArtifacts)
	runtime := t.TempDir()
	os.Chmod(runtime, 0o700) // Qt wants its runtime directory private
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "XDG_RUNTIME_DIR="+runtime)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("QGIS script: %v\n%s", err, stderr.String())
	}
	var recs []qgisRecord
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r qgisRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		r.RendererColors, r.QMLColors = r.RendererColorsJ, r.QMLColorsJ
		if r.Kind == "error" {
			t.Errorf("QGIS script, %s: %s", r.ID, r.Error)
		}
		recs = append(recs, r)
	}
	find := func(kind, id, source string) *qgisRecord {
		for i := range recs {
			if recs[i].Kind == kind && recs[i].ID == id && recs[i].Source == source {
				return &recs[i]
			}
		}
		return nil
	}
	palette := webPalette(t)
	for _, c := range collectionsOf(t, s.base) {
		_, b := get(t, s.base+"/collections/"+c.ID+"?f=json")
		var col struct {
			GeometryType string `json:"geometry_type"`
			Kind         string
		}
		json.Unmarshal(b, &col)
		for _, source := range []string{"oapif", "geojson", "csv", "gpkg"} {
			r := find("layer", c.ID, source)
			if r == nil {
				t.Errorf("%s from %s: QGIS reported nothing", c.ID, source)
				continue
			}
			t.Logf("QGIS %s %s: %s, %d features %v, %d drawn, %s", c.ID, source, r.LayerType, r.Count, r.FeatureTypes, r.Hit, r.Png)
			if !r.Valid {
				t.Errorf("%s from %s: not a valid layer", c.ID, source)
				continue
			}
			if r.Count != c.ItemCount || r.FeatureCount != c.ItemCount {
				t.Errorf("%s from %s: %d features read, featureCount %d; the collection has %d", c.ID, source, r.Count, r.FeatureCount, c.ItemCount)
			}
			if r.LayerType != col.GeometryType {
				t.Errorf("%s from %s: QGIS types the layer %s, the collection says %s", c.ID, source, r.LayerType, col.GeometryType)
			}
			if n := r.FeatureTypes[r.LayerType]; n != r.Count {
				t.Errorf("%s from %s: layer type %s but features are %v", c.ID, source, r.LayerType, r.FeatureTypes)
			}
			if r.Hit != r.Count || len(r.Missed) > 0 {
				t.Errorf("%s from %s: %d of %d features drawn; blank at %v (%s)", c.ID, source, r.Hit, r.Count, r.Missed, r.Png)
			}
			if !slices.Contains(r.Fields, "name") || !slices.Contains(r.Fields, "passage_ids") {
				t.Errorf("%s from %s: fields %v lack name or passage_ids", c.ID, source, r.Fields)
			}
		}
		// Its vector tiles, as a QGIS Vector Tile layer: every feature is
		// drawn from them. QGIS reads rings by their winding and drops a
		// polygon whose first ring winds as a hole, so tiles with the
		// data's own winding lost 10 of the 12 country areas.
		if vt := find("tiles", c.ID, ""); vt == nil {
			t.Errorf("%s tiles: QGIS reported nothing", c.ID)
		} else {
			t.Logf("QGIS %s tiles: %d of %d features drawn, %s", c.ID, vt.Hit, vt.Count, vt.Png)
			if !vt.Valid || vt.Count != c.ItemCount || vt.Hit != vt.Count || len(vt.Missed) > 0 {
				t.Errorf("%s tiles: valid %v, %d of %d features drawn (the collection has %d); blank at %v (%s)", c.ID, vt.Valid, vt.Hit, vt.Count, c.ItemCount, vt.Missed, vt.Png)
			}
		}
		st := find("style", c.ID, "")
		if st == nil {
			t.Errorf("%s: no style report", c.ID)
			continue
		}
		// The default single symbol draws in a random colour: the
		// GeoPackage's style must have replaced it with the map's.
		if st.Renderer != "RuleRenderer" || len(st.RendererColors) == 0 || !slices.Equal(st.RendererColors, st.QMLColors) {
			t.Errorf("%s.gpkg: renderer %s with colours %v; the QML has %v", c.ID, st.Renderer, st.RendererColors, st.QMLColors)
		}
		if want, ok := palette[col.Kind]; ok && !slices.ContainsFunc(want, func(c string) bool { return slices.Contains(st.RendererColors, c) }) {
			t.Errorf("%s.gpkg: colours %v lack the web map's %s colours %v", c.ID, st.RendererColors, col.Kind, want)
		}
		if !st.Labels || st.LabelField != "name" {
			t.Errorf("%s.gpkg: labels %v by %q", c.ID, st.Labels, st.LabelField)
		}
		if st.ZoomHit == 0 || len(st.ZoomMissed) > 0 {
			t.Errorf("%s.gpkg close-up: %d drawn, blank at %v (%s)", c.ID, st.ZoomHit, st.ZoomMissed, st.ZoomPng)
		}
	}

	// The Gyumri base's quotes, one click away.
	_, b := get(t, s.base+"/collections/bases/items/gyumri-102nd-base?f=json")
	var item struct {
		Evidence []struct {
			Passage, Exact string
			Source         struct{ ID string }
		}
	}
	if err := json.Unmarshal(b, &item); err != nil || len(item.Evidence) == 0 {
		t.Fatalf("gyumri evidence: %v %s", err, b)
	}
	var want []string
	for _, e := range item.Evidence {
		want = append(want, e.Passage)
	}
	slices.Sort(want)
	rel := find("relation", "", "")
	if rel == nil {
		t.Fatal("QGIS reported no project")
	}
	if !rel.Read || rel.Relations != 1 || !rel.Valid || rel.ParentRenderer != "RuleRenderer" || rel.Gyumri != 1 {
		t.Errorf("bases.qgz: read %v, %d relations (valid %v), renderer %s, gyumri found %d", rel.Read, rel.Relations, rel.Valid, rel.ParentRenderer, rel.Gyumri)
	}
	var got []string
	for _, row := range rel.Evidence {
		pid, _ := row["passage_id"].(string)
		got = append(got, pid)
		url, _ := row["passage_url"].(string)
		if row["feature_id"] != "gyumri-102nd-base" || row["quote"] == "" || row["source_title"] == "" || row["relation"] == "" || row["aspect"] == "" {
			t.Errorf("evidence row %v", row)
		}
		if !strings.HasPrefix(url, s.base+"/sources/") || !strings.HasSuffix(url, "#passage-"+pid) {
			t.Errorf("passage_url %q does not open %s in the source reader", url, pid)
			continue
		}
		res, page := get(t, strings.TrimSuffix(url, "#passage-"+pid)+"?f=html")
		if res.StatusCode != 200 || !strings.Contains(string(page), `id="passage-`+pid+`"`) {
			t.Errorf("%s: %d, passage anchor missing", url, res.StatusCode)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the relation reaches passages %v; the feature cites %v", got, want)
	}
	t.Logf("bases.qgz: gyumri-102nd-base -> %d evidence rows %v", len(got), got)
	g := find("gdal-relationship", "", "")
	if g == nil || len(g.Names) == 0 || g.Mapping != "bases_evidence_map" || g.Type != "attributes" || !slices.Equal(g.GyumriPassages, want) {
		t.Errorf("GDAL reads the Related Tables as %+v; want gyumri's passages %v", g, want)
	}
}

// webPalette reads the per-kind colour and fill of the web map's style
// (frontend/src/mapstyle.js), which the QGIS styles copy.
func webPalette(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../frontend/src/mapstyle.js")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, sm := range regexp.MustCompile(`(?m)^\s+(\w+): \{ color: '(#[0-9a-f]{6})'(?:, fill: '(#[0-9a-f]{6})')?`).FindAllStringSubmatch(string(b), -1) {
		m[sm[1]] = []string{sm[2]}
		if sm[3] != "" {
			m[sm[1]] = append(m[sm[1]], sm[3])
		}
	}
	if len(m) < 5 {
		t.Fatalf("found %d kind colours in mapstyle.js", len(m))
	}
	return m
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
