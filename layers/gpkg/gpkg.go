// Package gpkg writes layers as OGC GeoPackage files (SQLite, through the
// pure-Go modernc.org/sqlite), the format QGIS and GDAL open natively.
package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

const wgs84WKT = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]`

// Options are what a GeoPackage needs beyond the layer.
type Options struct {
	// BaseURL is the server's public address: each evidence row links to
	// its passage in the source reader there.
	BaseURL string
}

// Evidence calls fn with each evidence row of a layer's features, in
// feature then claim order, stopping at the first error, which it returns.
type Evidence func(ctx context.Context, fn func(layers.EvidenceRow) error) error

// Rows is evidence read from a slice (rows of other layers are skipped).
func Rows(rows []layers.EvidenceRow) Evidence {
	return func(ctx context.Context, fn func(layers.EvidenceRow) error) error {
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// Encode returns a snapshot as a GeoPackage (see Write).
func Encode(ctx context.Context, sn *layers.Snapshot, evidence []layers.EvidenceRow, opt Options) ([]byte, error) {
	dir, err := os.MkdirTemp("", "citemap-gpkg")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, sn.Layer.ID+".gpkg")
	if err := Write(ctx, path, sn.Table(), Rows(evidence), opt); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// Write writes a GeoPackage file at path holding the layer's features in a
// table named after the layer, with its default QGIS style in
// `layer_styles`, and its evidence in an attribute table `{layer}_evidence`,
// related to the features through the Related Tables extension
// (`gpkgext_relations`) and joinable on feature_id = id. Features are read
// and written one at a time, in one SQLite transaction: memory stays the
// same whatever the layer's size.
func Write(ctx context.Context, path string, t layers.Table, evidence Evidence, opt Options) error {
	if err := write(ctx, path, t, evidence, opt); err != nil {
		return fmt.Errorf("write geopackage %s: %w", t.Layer.ID, err)
	}
	return nil
}

func write(ctx context.Context, path string, t layers.Table, evidence Evidence, opt Options) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	table := t.Layer.ID
	cols := t.PropertyNames()
	colNames := layers.ColumnNames(cols) // fid, geom and id are this table's own
	geomType := geometryType(t.Types)
	b := t.Layer.Bound
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")

	stmts := []string{
		`PRAGMA application_id = 1196444487`,
		`PRAGMA user_version = 10300`,
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
			organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
			('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
			('WGS 84 geodetic', 4326, 'EPSG', 4326, '` + wgs84WKT + `', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
		`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
			description TEXT DEFAULT '', last_change DATETIME NOT NULL, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
			srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
			srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))`,
		`CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
			scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
	}
	var ddl strings.Builder
	fmt.Fprintf(&ddl, `CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom %s, "id" TEXT NOT NULL UNIQUE`, ident(table), geomType)
	for i, c := range cols {
		fmt.Fprintf(&ddl, `, %s %s`, ident(colNames[i]), sqlType(t.Queryables[c]))
	}
	ddl.WriteString(")")
	stmts = append(stmts, ddl.String())
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%.60s: %w", st, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)`,
		table, table, t.Layer.Title, now, b.Min[0], b.Min[1], b.Max[0], b.Max[1]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)`, table, geomType); err != nil {
		return err
	}

	placeholders := strings.Repeat(", ?", len(cols))
	names := make([]string, len(cols))
	for i, c := range colNames {
		names[i] = ident(c)
	}
	colList := ""
	if len(cols) > 0 {
		colList = ", " + strings.Join(names, ", ")
	}
	ins, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (geom, "id"%s) VALUES (?, ?%s)`, ident(table), colList, placeholders))
	if err != nil {
		return err
	}
	defer ins.Close()
	typ := t.Types.Type()
	args := make([]any, 0, len(cols)+2)
	err = t.Rows(ctx, func(r layers.Row) error {
		blob, err := geometryBlob(geo.Promote(r.Geometry, typ), r.Bound)
		if err != nil {
			return fmt.Errorf("feature %s: %w", r.ID, err)
		}
		args = append(args[:0], blob, r.ID)
		for _, c := range cols {
			args = append(args, r.Flat[c])
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("feature %s: %w", r.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := writeStyle(ctx, tx, t, now); err != nil {
		return fmt.Errorf("layer_styles: %w", err)
	}

	if err := writeEvidence(ctx, tx, table, evidence, opt, now); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return tx.Commit()
}

// ident quotes an SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlType(jsonType string) string {
	switch jsonType {
	case "number":
		return "REAL"
	case "boolean":
		return "BOOLEAN"
	}
	return "TEXT"
}

// geometryType is the GeoPackage geometry type name of a layer: its one
// type (the Multi- form when single and Multi- forms mix, every single one
// promoted), or GEOMETRY when it is empty or mixes types.
func geometryType(ts geo.TypeSet) string {
	switch t := ts.Type(); t {
	case "", "Geometry":
		return "GEOMETRY"
	default:
		return strings.ToUpper(t)
	}
}

// geometryBlob is a GeoPackage binary geometry: the "GP" header with the
// SRS id and envelope, then standard little-endian WKB.
func geometryBlob(g orb.Geometry, b orb.Bound) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write([]byte{'G', 'P', 0})
	const littleEndian, envelopeXY = 1, 1 << 1
	buf.WriteByte(littleEndian | envelopeXY)
	binary.Write(&buf, binary.LittleEndian, int32(4326))
	for _, v := range []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
		binary.Write(&buf, binary.LittleEndian, math.Float64bits(v))
	}
	w, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	buf.Write(w)
	return buf.Bytes(), nil
}
