package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/citemap/citemap/layers"
)

// relatedTablesExt names the GeoPackage Related Tables Extension (OGC
// 18-000) as GDAL and the OGC test suite expect it.
const (
	relatedTablesExt = "gpkg_related_tables"
	relatedTablesDef = "http://www.geopackage.org/18-000.html"
)

// writeEvidence writes the layer's claims as the attribute table
// `{layer}_evidence`, one row per claim with its quote, source and a link
// to the passage in the source reader, and relates it to the features:
// through the Related Tables extension (a mapping table of feature fid to
// evidence fid, which GDAL 3.6+ reads as a relationship, and QGIS 3.28+
// turns into a relation), and by feature_id = id for a plain join.
func writeEvidence(ctx context.Context, tx *sql.Tx, table string, evidence Evidence, opt Options, now string) error {
	ev := table + "_evidence"
	mapping := table + "_evidence_map"
	stmts := []string{
		fmt.Sprintf(`CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT, feature_id TEXT NOT NULL, passage_id TEXT NOT NULL,
			relation TEXT, aspect TEXT, basis TEXT, confidence TEXT, quote TEXT, note TEXT, source_id TEXT, source_title TEXT,
			publisher TEXT, published TEXT, source_url TEXT, passage_url TEXT)`, ident(ev)),
		fmt.Sprintf(`CREATE TABLE %s (base_id INTEGER NOT NULL, related_id INTEGER NOT NULL)`, ident(mapping)),
		`CREATE TABLE gpkgext_relations (id INTEGER PRIMARY KEY AUTOINCREMENT, base_table_name TEXT NOT NULL,
			base_primary_column TEXT NOT NULL DEFAULT 'id', related_table_name TEXT NOT NULL,
			related_primary_column TEXT NOT NULL DEFAULT 'id', relation_name TEXT NOT NULL, mapping_table_name TEXT NOT NULL UNIQUE)`,
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("%.60s: %w", st, err)
		}
	}
	contents := `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES (?, 'attributes', ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, contents, ev, ev,
		"The passages behind each feature of "+table+": related to it (QGIS relation), or join on feature_id = id", now); err != nil {
		return err
	}
	// GDAL before 3.8 lists only the tables gpkg_contents names: the mapping
	// table is listed so a reader can follow the relation.
	if _, err := tx.ExecContext(ctx, contents, mapping, mapping, "Related Tables mapping of "+table+" fid to "+ev+" fid", now); err != nil {
		return err
	}
	for _, t := range []string{"gpkgext_relations", mapping} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_extensions VALUES (?, NULL, ?, ?, 'read-write')`, t, relatedTablesExt, relatedTablesDef); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkgext_relations (base_table_name, base_primary_column, related_table_name,
		related_primary_column, relation_name, mapping_table_name) VALUES (?, 'fid', ?, 'fid', 'attributes', ?)`, table, ev, mapping); err != nil {
		return err
	}

	evIns, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (feature_id, passage_id, relation, aspect, basis, confidence, quote, note,
		source_id, source_title, publisher, published, source_url, passage_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ident(ev)))
	if err != nil {
		return err
	}
	defer evIns.Close()
	mapIns, err := tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (base_id, related_id) VALUES (?, ?)`, ident(mapping)))
	if err != nil {
		return err
	}
	defer mapIns.Close()
	fidOf, err := tx.PrepareContext(ctx, fmt.Sprintf(`SELECT fid FROM %s WHERE "id" = ?`, ident(table)))
	if err != nil {
		return err
	}
	defer fidOf.Close()
	base := strings.TrimSuffix(opt.BaseURL, "/")
	return evidence(ctx, func(e layers.EvidenceRow) error {
		if e.Layer != table {
			return nil
		}
		var fid int64
		switch err := fidOf.QueryRowContext(ctx, e.Feature).Scan(&fid); {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		res, err := evIns.ExecContext(ctx, e.Feature, e.Passage, e.Relation, e.Aspect, e.Basis, e.Confidence, e.Exact, e.Note,
			e.Source, e.SourceTitle, e.Publisher, e.Published, e.SourceURL, PassageURL(base, e.Source, e.Passage))
		if err != nil {
			return err
		}
		rid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		_, err = mapIns.ExecContext(ctx, fid, rid)
		return err
	})
}

// PassageURL is where the source reader opens at a passage.
func PassageURL(base, source, passage string) string {
	return base + "/sources/" + url.PathEscape(source) + "#passage-" + url.PathEscape(passage)
}

// writeStyle writes the layer's default style into `layer_styles`, the
// table QGIS reads (and writes) styles in, marked as the default so QGIS
// applies it when the layer is opened.
func writeStyle(ctx context.Context, tx *sql.Tx, t layers.Table, now string) error {
	st := StyleOf(t.Layer, t.Types.Class(), t.PropertyNames())
	stmts := []string{
		`CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
			f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
			description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)`, now); err != nil {
		return err
	}
	desc := "The web map's style of " + t.Layer.Title
	if t.Types.Class() == "" {
		desc += " (no single geometry type)"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,
		styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) VALUES ('', '', ?, 'geom', ?, ?, ?, 1, ?, 'citemap', '', ?)`,
		t.Layer.ID, st.Name, st.QML, st.SLD, desc, now)
	return err
}
