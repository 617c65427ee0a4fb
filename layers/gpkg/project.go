package gpkg

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// Project returns a QGIS project (.qgz: a zip holding one .qgs) that opens
// the layer's GeoPackage, saved beside it as {id}.gpkg, with the layer's
// style, its evidence table, and the relation from each feature to its
// evidence rows, so the attribute form and identify results list the
// quotes. QGIS 3.22 and later read it; a GeoPackage alone carries the
// relation only for QGIS 3.28+ with GDAL 3.6+ (gpkgext_relations).
func Project(t layers.Table) ([]byte, error) {
	l := t.Layer
	st := StyleOf(l, t.Types.Class(), t.PropertyNames())
	file := "./" + l.ID + ".gpkg"
	feat, ev := l.ID+"_features", l.ID+"_evidence"
	wkb := map[string]string{
		"POINT": "Point", "MULTIPOINT": "MultiPoint", "LINESTRING": "LineString", "MULTILINESTRING": "MultiLineString",
		"POLYGON": "Polygon", "MULTIPOLYGON": "MultiPolygon", "GEOMETRY": "Unknown",
	}[geometryType(t.Types)]
	geom := map[string]string{geo.Points: "Point", geo.Lines: "Line", geo.Areas: "Polygon"}[t.Types.Class()]
	if geom == "" {
		geom = "Unknown geometry"
	}
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	srs := `<srs><spatialrefsys><wkt>` + attr(wgs84WKT) + `</wkt><proj4>+proj=longlat +datum=WGS84 +no_defs</proj4><srsid>3452</srsid><srid>4326</srid><authid>EPSG:4326</authid><description>WGS 84</description><projectionacronym>longlat</projectionacronym><ellipsoidacronym>EPSG:7030</ellipsoidacronym><geographicflag>true</geographicflag></spatialrefsys></srs>`
	w("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n")
	w(`<qgis projectname="%s" version="3.22.0">`+"\n", attr(l.Title))
	w("  <homePath path=\"\"/>\n  <title>%s</title>\n", attr(l.Title))
	w("  <projectCrs>%s</projectCrs>\n", strings.TrimSuffix(strings.TrimPrefix(srs, "<srs>"), "</srs>"))
	w("  <layer-tree-group>\n")
	w(`    <layer-tree-layer id="%s" name="%s" source="%s|layername=%s" providerKey="ogr" checked="Qt::Checked" expanded="1"/>`+"\n", feat, attr(l.Title), attr(file), attr(l.ID))
	w(`    <layer-tree-layer id="%s" name="%s" source="%s|layername=%s" providerKey="ogr" checked="Qt::Checked" expanded="0"/>`+"\n", ev, attr(l.ID+" evidence"), attr(file), attr(ev))
	w("  </layer-tree-group>\n")
	w("  <relations>\n")
	w(`    <relation id="%s_evidence_rel" name="Evidence: the passages behind the feature" referencingLayer="%s" referencedLayer="%s" strength="Association">`+"\n", attr(l.ID), ev, feat)
	w(`      <fieldRef referencingField="feature_id" referencedField="id"/>` + "\n")
	w("    </relation>\n  </relations>\n")
	w("  <projectlayers>\n")
	// The features, styled as on the map.
	w(`    <maplayer type="vector" geometry="%s" wkbType="%s" labelsEnabled="%d" readOnly="0" autoRefreshEnabled="0" refreshOnNotifyEnabled="0">`+"\n", geom, wkb, boolInt(st.labels))
	w("      <id>%s</id>\n      <datasource>%s|layername=%s</datasource>\n      <layername>%s</layername>\n      %s\n", feat, attr(file), attr(l.ID), attr(l.Title), srs)
	w(`      <provider encoding="UTF-8">ogr</provider>` + "\n")
	w("      <abstract>%s</abstract>\n", attr(l.Description))
	w(`      <attributeactions><defaultAction key="Canvas" value="{00000000-0000-0000-0000-000000000000}"/></attributeactions>` + "\n")
	w("%s", st.body)
	w("    </maplayer>\n")
	// The evidence table; passage_url opens the quote in the source reader.
	w(`    <maplayer type="vector" geometry="No geometry" wkbType="NoGeometry" readOnly="0">` + "\n")
	w("      <id>%s</id>\n      <datasource>%s|layername=%s</datasource>\n      <layername>%s</layername>\n", ev, attr(file), attr(ev), attr(l.ID+" evidence"))
	w(`      <provider encoding="UTF-8">ogr</provider>` + "\n")
	w("      <previewExpression>\"quote\"</previewExpression>\n")
	w(`      <attributeactions><defaultAction key="Canvas" value="{00000000-0000-0000-0000-000000000000}"/>` +
		`<actionsetting type="5" name="Open the passage in the source reader" shortTitle="Open passage" id="{7c5d2b0e-9b1a-4f7e-8d3e-0c1f5a2b6e11}" action="[%% &quot;passage_url&quot; %%]" capture="0" icon="" notificationMessage="" isEnabledOnlyWhenEditable="0"><actionScope id="Field"/><actionScope id="Feature"/><actionScope id="Layer"/></actionsetting></attributeactions>` + "\n")
	w("    </maplayer>\n")
	w("  </projectlayers>\n")
	w("  <properties>\n    <Paths>\n      <Absolute type=\"bool\">false</Absolute>\n    </Paths>\n  </properties>\n")
	w("</qgis>\n")

	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	f, err := zw.Create(l.ID + ".qgs")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}
