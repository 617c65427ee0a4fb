package layers

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"

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
		src := source[p.Source]
		rows = append(rows, EvidenceRow{
			Layer: c.Layer, Feature: c.Feature, Passage: c.Passage, Relation: c.Relation, Aspect: c.Aspect,
			Confidence: c.Confidence, Basis: c.Basis, Note: c.Note, Exact: p.Exact, Source: src.ID, SourceTitle: src.Label(),
			SourceURL: src.URL, Publisher: src.Publisher, Published: src.Published,
		})
	}
	return rows, nil
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

// EncodeCSV writes a layer as CSV: id, every flat property, and the
// geometry as WKT in a last column named wkt (QGIS's "Delimited Text" and
// GDAL's CSV driver read it).
func EncodeCSV(sn *Snapshot) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	cols := sn.PropertyNames()
	w.Write(append(append([]string{"id"}, ColumnNames(cols)...), "wkt"))
	for i, f := range sn.Features {
		rec := make([]string, 0, len(cols)+2)
		rec = append(rec, f.ID)
		for _, c := range cols {
			v, ok := sn.Flat[i][c]
			switch {
			case !ok || v == nil:
				rec = append(rec, "")
			default:
				rec = append(rec, fmt.Sprint(v))
			}
		}
		// The layer's one type: a Polygon among MultiPolygons is written
		// as a MultiPolygon, so a reader types the column once.
		rec = append(rec, wkt.MarshalString(geo.Promote(f.Geometry, sn.Types.Type())))
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
