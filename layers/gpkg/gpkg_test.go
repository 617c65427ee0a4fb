package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/citemap/citemap/layers"
)

func TestEncode(t *testing.T) {
	d, err := layers.ReadDir(os.DirFS("../testdata/mini"), ".")
	if err != nil {
		t.Fatal(err)
	}
	l := d.Layers[0] // bases
	l.Bound = orb.Bound{Min: orb.Point{43.84635, 40.79305}, Max: orb.Point{43.84635, 40.79305}}
	sn, err := layers.NewSnapshot(l, d.Features["bases"], map[string]string{"p004-01": "s004", "p004-02": "s004"})
	if err != nil {
		t.Fatal(err)
	}
	rows := []layers.EvidenceRow{
		{Layer: "bases", Feature: "gyumri-102nd-base", Passage: "p004-02", Relation: "contradicts", Aspect: "existence", Exact: "However, …",
			Basis: "explicit", Note: "a note", Source: "s004", SourceTitle: "Title", Publisher: "Pub", Published: "2025-07-05"},
		{Layer: "other", Feature: "x", Passage: "p"},
	}
	b, err := Encode(context.Background(), sn, rows, Options{BaseURL: "http://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
		t.Fatal("not an SQLite file")
	}
	path := filepath.Join(t.TempDir(), "x.gpkg")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var appID, version int
	if err := db.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if appID != 0x47504B47 || version != 10300 {
		t.Errorf("application_id %x, user_version %d", appID, version)
	}
	var geomType string
	var srs int
	if err := db.QueryRow(`SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name='bases'`).Scan(&geomType, &srs); err != nil || geomType != "POINT" || srs != 4326 {
		t.Errorf("geometry column: %s %d %v", geomType, srs, err)
	}
	var id, name, passages string
	var blob []byte
	if err := db.QueryRow(`SELECT "id", "name", "passage_ids", geom FROM bases`).Scan(&id, &name, &passages, &blob); err != nil {
		t.Fatal(err)
	}
	if id != "gyumri-102nd-base" || name != "Russian 102nd Military Base, Gyumri" || passages != "p004-01;p004-02" {
		t.Errorf("row = %s %s %s", id, name, passages)
	}
	// GP header: magic, version, flags (little endian, xy envelope), srs, 4 doubles.
	if string(blob[:2]) != "GP" || blob[3] != 0b11 || binary.LittleEndian.Uint32(blob[4:8]) != 4326 {
		t.Fatalf("header % x", blob[:8])
	}
	g, err := wkb.Unmarshal(blob[8+32:])
	if err != nil || g != (orb.Point{43.84635, 40.79305}) {
		t.Errorf("geometry = %v, %v", g, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM bases_evidence`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("evidence rows = %d, want only this layer's 1", n)
	}
	var quote, basis, note, publisher, published, passageURL string
	if err := db.QueryRow(`SELECT quote, basis, note, publisher, published, passage_url FROM bases_evidence`).Scan(&quote, &basis, &note, &publisher, &published, &passageURL); err != nil {
		t.Fatal(err)
	}
	if quote != "However, …" || basis != "explicit" || note != "a note" || publisher != "Pub" || published != "2025-07-05" ||
		passageURL != "http://example.com/sources/s004#passage-p004-02" {
		t.Errorf("evidence row: %q %q %q %q %q %q", quote, basis, note, publisher, published, passageURL)
	}

	// The relation, as the Related Tables extension declares it.
	var base, baseCol, related, relatedCol, relName, mapping string
	if err := db.QueryRow(`SELECT base_table_name, base_primary_column, related_table_name, related_primary_column, relation_name, mapping_table_name
		FROM gpkgext_relations`).Scan(&base, &baseCol, &related, &relatedCol, &relName, &mapping); err != nil {
		t.Fatal(err)
	}
	if base != "bases" || baseCol != "fid" || related != "bases_evidence" || relatedCol != "fid" || relName != "attributes" || mapping != "bases_evidence_map" {
		t.Errorf("gpkgext_relations: %s.%s -> %s.%s %s via %s", base, baseCol, related, relatedCol, relName, mapping)
	}
	var linked string
	if err := db.QueryRow(`SELECT b.id FROM bases b JOIN bases_evidence_map m ON m.base_id = b.fid JOIN bases_evidence e ON e.fid = m.related_id`).Scan(&linked); err != nil || linked != "gyumri-102nd-base" {
		t.Errorf("mapping links %q, %v", linked, err)
	}
	db.QueryRow(`SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_related_tables' AND table_name IN ('gpkgext_relations', 'bases_evidence_map')`).Scan(&n)
	if n != 2 {
		t.Errorf("gpkg_extensions lists %d related-tables rows, want 2", n)
	}

	// The default style QGIS applies on open.
	var table, column, qml, sld string
	var def bool
	if err := db.QueryRow(`SELECT f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault FROM layer_styles`).Scan(&table, &column, &qml, &sld, &def); err != nil {
		t.Fatal(err)
	}
	if table != "bases" || column != "geom" || !def || !strings.Contains(qml, `type="RuleRenderer"`) || !strings.Contains(qml, "155,28,28,255") || !strings.Contains(sld, "#9b1c1c") {
		t.Errorf("layer_styles: %s.%s default %v\n%s", table, column, def, qml)
	}
}

// A layer of Polygons and MultiPolygons is a MULTIPOLYGON table: every row
// of the declared type.
func TestEncodePromotesToTheLayersType(t *testing.T) {
	sq := orb.Polygon{{{44, 40}, {45, 40}, {45, 41}, {44, 40}}}
	feats := []layers.Feature{
		{ID: "a", Geometry: orb.MultiPolygon{sq}, Properties: map[string]any{"name": "a"}},
		{ID: "b", Geometry: sq, Properties: map[string]any{"name": "b"}},
	}
	sn, err := layers.NewSnapshot(layers.Layer{ID: "areas", Kind: layers.KindCountries}, feats, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(context.Background(), sn, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.gpkg")
	os.WriteFile(path, b, 0o644)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var typ string
	db.QueryRow(`SELECT geometry_type_name FROM gpkg_geometry_columns`).Scan(&typ)
	if typ != "MULTIPOLYGON" {
		t.Errorf("declared %s", typ)
	}
	rows, err := db.Query(`SELECT geom FROM areas`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob []byte
		rows.Scan(&blob)
		g, err := wkb.Unmarshal(blob[8+32:])
		if _, ok := g.(orb.MultiPolygon); !ok || err != nil {
			t.Errorf("row geometry %T %v", g, err)
		}
	}
}

// TestEncodeReservedProperties: properties named like the table's own
// columns (fid, geom, id, in any case) and like the CSV's wkt are kept, as
// prop_ columns, instead of failing with a duplicate column.
func TestEncodeReservedProperties(t *testing.T) {
	props := func(n float64) map[string]any {
		return map[string]any{"fid": n, "FID2": "x", "geom": "g", "ID": "own", "wkt": "w", "name": "A"}
	}
	feats := []layers.Feature{
		{ID: "a", Geometry: orb.Point{1, 2}, Properties: props(1)},
		{ID: "b", Geometry: orb.Point{3, 4}, Properties: props(2)},
	}
	sn, err := layers.NewSnapshot(layers.Layer{ID: "x", Title: "X", Bound: orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}}, feats, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(context.Background(), sn, nil, Options{})
	if err != nil {
		t.Fatalf("a layer with fid, geom, id and wkt properties: %v", err)
	}
	path := filepath.Join(t.TempDir(), "x.gpkg")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT "id", "prop_fid", "FID2", "prop_geom", "prop_ID", "prop_wkt", "name" FROM x ORDER BY fid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, fid2, geom, own, wkt, name string
		var fid float64
		if err := rows.Scan(&id, &fid, &fid2, &geom, &own, &wkt, &name); err != nil {
			t.Fatal(err)
		}
		if fid != float64(n+1) || fid2 != "x" || geom != "g" || own != "own" || wkt != "w" || name != "A" {
			t.Errorf("row %d = %s %v %s %s %s %s %s", n, id, fid, fid2, geom, own, wkt, name)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}
