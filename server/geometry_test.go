package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/citemap/citemap/geo"
)

// A collection states its geometry type, and its queryables list the
// geometry with that type, before a client reads a feature.
func TestCollectionGeometryType(t *testing.T) {
	s := newServer(t)
	for _, tt := range []struct {
		layer, typ, format string
		dim                float64
	}{
		{"bases", "Point", "geometry-point", 0},
		{"zones", "Polygon", "geometry-polygon", 2},
	} {
		_, b := do(t, s, "GET", "/collections/"+tt.layer)
		col := decode(t, b)
		if col["geometry_type"] != tt.typ || col["geometryDimension"] != tt.dim {
			t.Errorf("%s: geometry_type %v, geometryDimension %v; want %s %v", tt.layer, col["geometry_type"], col["geometryDimension"], tt.typ, tt.dim)
		}
		_, b = do(t, s, "GET", "/collections/"+tt.layer+"/queryables")
		g, _ := decode(t, b)["properties"].(map[string]any)["geometry"].(map[string]any)
		if g["format"] != tt.format || g["x-ogc-role"] != "primary-geometry" {
			t.Errorf("%s queryables geometry = %v", tt.layer, g)
		}
		// geometry is described, not a filter parameter.
		if res, _ := do(t, s, "GET", "/collections/"+tt.layer+"/items?geometry=x"); res.StatusCode != 400 {
			t.Errorf("%s: items?geometry= answered %d", tt.layer, res.StatusCode)
		}
	}
	_, b := do(t, s, "GET", "/collections")
	for _, c := range decode(t, b)["collections"].([]any) {
		if c.(map[string]any)["geometry_type"] == nil {
			t.Errorf("/collections: %v has no geometry_type", c.(map[string]any)["id"])
		}
	}
}

func TestGeometryFormat(t *testing.T) {
	line := orb.LineString{{0, 0}, {1, 1}}
	for _, tt := range []struct {
		geoms []orb.Geometry
		want  string
	}{
		{nil, "geometry-any"},
		{[]orb.Geometry{orb.MultiLineString{line}}, "geometry-multilinestring"},
		{[]orb.Geometry{line, orb.MultiLineString{line}}, "geometry-linestring-or-multilinestring"},
		{[]orb.Geometry{line, orb.Point{1, 1}}, "geometry-any"},
		{[]orb.Geometry{orb.Collection{line}}, "geometry-geometrycollection"},
	} {
		var ts geo.TypeSet
		for _, g := range tt.geoms {
			ts.Add(g)
		}
		if got := geometryFormat(ts); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.geoms, got, tt.want)
		}
	}
}

// The QGIS style and project are served beside the downloads, and the
// GeoJSON download says where they are.
func TestStyleDownloads(t *testing.T) {
	s := newServer(t)
	for _, tt := range []struct{ path, ctype, want string }{
		{"/layers/bases.qml", mimeXML, `type="RuleRenderer"`},
		{"/layers/bases.sld", mimeXML, "<se:PointSymbolizer>"},
		{"/layers/zones.qml", mimeXML, "<qgis "},
		{"/layers/bases.qgz", mimeZip, "PK\x03\x04"},
	} {
		res, b := do(t, s, "GET", tt.path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != tt.ctype || !strings.Contains(string(b), tt.want) ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("%s: %d %s %q", tt.path, res.StatusCode, res.Header.Get("Content-Type"), b[:min(len(b), 80)])
		}
	}
	_, b := do(t, s, "GET", "/layers/bases.qgz")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "bases.qgs" {
		t.Fatalf("qgz: %v %v", err, zr)
	}
	f, _ := zr.File[0].Open()
	qgs, _ := io.ReadAll(f)
	for _, want := range []string{`referencingLayer="bases_evidence"`, `referencedField="id"`, "./bases.gpkg|layername=bases_evidence", `type="RuleRenderer"`} {
		if !strings.Contains(string(qgs), want) {
			t.Errorf("project lacks %s", want)
		}
	}
	_, b = do(t, s, "GET", "/layers/bases.geojson")
	var fc struct{ Links []link }
	json.Unmarshal(b, &fc)
	found := false
	for _, l := range fc.Links {
		found = found || l.Href == "http://example.com/layers/bases.qml" && l.Type == mimeXML
	}
	if !found {
		t.Errorf("GeoJSON download links %v", fc.Links)
	}
	if res, b := do(t, s, "GET", "/layers/bases.qmlx"); res.StatusCode != 404 || !strings.Contains(string(b), ".qml") {
		t.Errorf("unknown download: %d %s", res.StatusCode, b)
	}
}
