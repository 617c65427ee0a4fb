package layers

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/citemap/citemap/geo"
)

// EvidenceRow is one claim with its passage and source: a row of the join
// table analysts link to features on feature id.
type EvidenceRow struct {
	Layer, Feature, Passage, Relation, Aspect, Confidence, Exact string
	Basis, Note                                                  string // Explicit or Inferred; how an inferred claim is inferred
	Source, SourceTitle, SourceURL, Publisher, Published         string
}

// EvidenceTable returns every claim as a row, ordered by layer, feature,
// passage.
func EvidenceTable(ctx context.Context, s Reader) ([]EvidenceRow, error) {
	claims, err := s.Claims(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.Passages(ctx, "")
	if err != nil {
		return nil, err
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return nil, err
	}
	passage := make(map[string]Passage, len(ps))
	for _, p := range ps {
		passage[p.ID] = p
	}
	source := make(map[string]Source, len(srcs))
	for _, src := range srcs {
		source[src.ID] = src
	}
	rows := make([]EvidenceRow, 0, len(claims))
	for _, c := range claims {
		p := passage[c.Passage]
		rows = append(rows, NewEvidenceRow(c, p, source[p.Source]))
	}
	return rows, nil
}

// NewEvidenceRow is claim c's row: p is its passage, src the passage's
// source (either zero when missing).
func NewEvidenceRow(c Claim, p Passage, src Source) EvidenceRow {
	return EvidenceRow{
		Layer: c.Layer, Feature: c.Feature, Passage: c.Passage, Relation: c.Relation, Aspect: c.Aspect,
		Confidence: c.Confidence, Basis: c.Basis, Note: c.Note, Exact: p.Exact, Source: src.ID, SourceTitle: src.Label(),
		SourceURL: src.URL, Publisher: src.Publisher, Published: src.Published,
	}
}

// EncodeEvidenceCSV writes the join table as CSV with a header row.
func EncodeEvidenceCSV(rows []EvidenceRow) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"feature_id", "layer", "passage_id", "relation", "aspect", "confidence", "basis", "note", "exact", "source_id", "source_title", "source_url", "published"})
	for _, r := range rows {
		w.Write([]string{r.Feature, r.Layer, r.Passage, r.Relation, r.Aspect, r.Confidence, r.Basis, r.Note, r.Exact, r.Source, r.SourceTitle, r.SourceURL, r.Published})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// ColumnPrefix is put before a property name that cannot be a column of
// the GeoPackage and CSV downloads as it is.
const ColumnPrefix = "prop_"

// reservedColumn reports whether a download already has a column of this
// name (compared without case, as SQLite and GDAL compare column names):
// the GeoPackage's fid, geom and id, the CSV's id and wkt.
func reservedColumn(name string) bool {
	switch strings.ToLower(name) {
	case "fid", "geom", "id", "wkt":
		return true
	}
	return false
}

// ColumnNames returns the download column of each property name, in order:
// the name itself, or ColumnPrefix + name when the name is reserved or
// differs only in case from a column before it, prefixed again until it is
// unique. A QGIS export's fid becomes prop_fid; "Name" after "name" becomes
// prop_Name.
func ColumnNames(names []string) []string {
	taken := map[string]bool{}
	out := make([]string, len(names))
	for i, n := range names {
		col := n
		if reservedColumn(col) {
			col = ColumnPrefix + col
		}
		for taken[strings.ToLower(col)] || reservedColumn(col) {
			col = ColumnPrefix + col
		}
		taken[strings.ToLower(col)] = true
		out[i] = col
	}
	return out
}

// Table is a layer as the table downloads (CSV, GeoPackage) and the QGIS
// style and project read it: its description, and its features one at a
// time, so a download holds one batch of them, whatever the layer's size.
type Table struct {
	Layer Layer
	// Types holds the geometry types of the features.
	Types geo.TypeSet
	// Queryables maps each flat property to its JSON type.
	Queryables map[string]string
	// Rows calls fn with every feature in id order, stopping at the first
	// error, which it returns. Nil for a table read for its description.
	Rows func(ctx context.Context, fn func(Row) error) error
}

// Row is one feature of a Table.
type Row struct {
	ID       string
	Geometry orb.Geometry
	Bound    orb.Bound
	// Flat holds the flat properties (Feature.Flat), with source_count and
	// passage_ids.
	Flat map[string]any
}

// PropertyNames returns every flat property name, sorted.
func (t Table) PropertyNames() []string {
	names := make([]string, 0, len(t.Queryables))
	for k := range t.Queryables {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// RowOf decodes a stored body: its WKB geometry and flat properties.
func RowOf(b Body) (Row, error) {
	g, err := wkb.Unmarshal(b.WKB)
	if err != nil {
		return Row{}, fmt.Errorf("decode geometry of %s: %w", b.ID, err)
	}
	var flat map[string]any
	if err := json.Unmarshal(b.Properties, &flat); err != nil {
		return Row{}, fmt.Errorf("decode properties of %s: %w", b.ID, err)
	}
	return Row{ID: b.ID, Geometry: g, Bound: b.Bound, Flat: flat}, nil
}

// Table is the snapshot read as a Table.
func (sn *Snapshot) Table() Table {
	return Table{
		Layer: sn.Layer, Types: sn.Types, Queryables: sn.Queryables,
		Rows: func(ctx context.Context, fn func(Row) error) error {
			for i, f := range sn.Features {
				if err := fn(Row{ID: f.ID, Geometry: f.Geometry, Bound: sn.Bounds[i], Flat: sn.Flat[i]}); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// EncodeCSV writes a layer as CSV (see WriteCSV).
func EncodeCSV(sn *Snapshot) ([]byte, error) {
	var buf bytes.Buffer
	err := WriteCSV(context.Background(), &buf, sn.Table())
	return buf.Bytes(), err
}

// WriteCSV writes a layer as CSV: id, every flat property, and the
// geometry as WKT in a last column named wkt (QGIS's "Delimited Text" and
// GDAL's CSV driver read it). Rows go to w as they are read.
func WriteCSV(ctx context.Context, w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	cols := t.PropertyNames()
	typ := t.Types.Type()
	if err := cw.Write(append(append([]string{"id"}, ColumnNames(cols)...), "wkt")); err != nil {
		return err
	}
	rec := make([]string, 0, len(cols)+2)
	err := t.Rows(ctx, func(r Row) error {
		rec = append(rec[:0], r.ID)
		for _, c := range cols {
			v, ok := r.Flat[c]
			switch {
			case !ok || v == nil:
				rec = append(rec, "")
			default:
				rec = append(rec, fmt.Sprint(v))
			}
		}
		// The layer's one type: a Polygon among MultiPolygons is written
		// as a MultiPolygon, so a reader types the column once.
		rec = append(rec, wkt.MarshalString(geo.Promote(r.Geometry, typ)))
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
