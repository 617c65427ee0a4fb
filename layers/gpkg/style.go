package gpkg

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// The web map's palette (frontend/src/mapstyle.js): a layer opened in QGIS
// looks as it does on the map. style_test.go checks the two agree.
var kindColors = map[string]struct{ Color, Fill string }{
	layers.KindBorders:   {"#5b3f9f", "#c9b98f"},
	layers.KindCountries: {"#857657", "#c9b98f"},
	layers.KindDisputed:  {"#c0392b", ""},
	layers.KindBases:     {"#9b1c1c", ""},
	layers.KindCorridors: {"#d35400", ""},
	layers.KindEvents:    {"#1f6fb2", ""},
	layers.KindContext:   {"#a3aab2", "#c9cdd2"}, // only inferred support: drawn muted
}

const (
	genericColor = "#2e7d32"
	grey         = "#8b8f94" // historical and context features
	greyDark     = "#6b7075"
	baseLabel    = "#5a1212"
)

// Style is a layer's default QGIS style: QML, which QGIS applies as is, and
// an SLD rendering of its main symbol for other clients.
type Style struct {
	Name string
	QML  string
	SLD  string

	body   string // the renderer and labelling, as a project's map layer holds them
	labels bool
}

// StyleOf returns the style of layer l, whose features are of geometry class
// class (geo.Points, Lines, Areas) and have the given property names.
func StyleOf(l layers.Layer, class string, props []string) Style {
	has := map[string]bool{}
	for _, p := range props {
		has[p] = true
	}
	kind := l.Kind
	c, ok := kindColors[kind]
	if !ok {
		c.Color, c.Fill = genericColor, genericColor
	}
	current, historical := symbols(kind, class, c.Color, c.Fill)

	var rules []rule
	if hist := historicalFilter(kind, has); hist != "" {
		rules = []rule{{Label: "historical (status or end date)", Filter: hist, Symbol: historical}, {Label: l.Title, Filter: "ELSE", Symbol: current}}
	} else {
		rules = []rule{{Label: l.Title, Symbol: current}}
	}
	labelColor := c.Color
	switch {
	case kind == layers.KindBases:
		labelColor = baseLabel
	}
	var lab *labeling
	if has["name"] {
		lab = newLabeling(class, labelColor)
	}
	body := styleBody(rules, lab)
	return Style{
		Name: l.ID,
		QML: "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" +
			fmt.Sprintf(`<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="%d">`+"\n", boolInt(lab != nil)) +
			body + "</qgis>\n",
		SLD:    sld(l, class, current, has["name"], labelColor),
		body:   body,
		labels: lab != nil,
	}
}

// historicalFilter is the QGIS expression of the map's rule for greying a
// feature: its status starts "historical" or "withdrawn", or (except for
// events, which are all past) its validity ended before today. Partial
// dates compare at their own precision: "2024" ended before "2026-…".
func historicalFilter(kind string, has map[string]bool) string {
	var or []string
	if has["status"] {
		or = append(or, `lower(trim("status")) LIKE 'historical%' OR lower(trim("status")) LIKE 'withdrawn%'`)
	}
	if has["valid_to"] && kind != layers.KindEvents {
		or = append(or, `(coalesce("valid_to", '') <> '' AND "valid_to" < left(format_date(now(), 'yyyy-MM-dd'), length("valid_to")))`)
	}
	return strings.Join(or, " OR ")
}

// symbols returns the current and historical symbols of a kind and class.
func symbols(kind, class, color, fill string) (current, historical symbol) {
	switch class {
	case geo.Points:
		if kind == layers.KindBases {
			base := func(c string) symbol {
				return symbol{Type: "marker", Layers: []symbolLayer{
					simpleMarker("square", 16, c, "#ffffff", 1),
					simpleMarker("star", 9.5, "#ffffff", "", 0),
				}}
			}
			return base(color), base(grey)
		}
		dot := func(c string) symbol {
			return symbol{Type: "marker", Layers: []symbolLayer{simpleMarker("circle", 11, c, "#ffffff", 1.6)}}
		}
		return dot(color), dot(grey)
	case geo.Lines:
		current = symbol{Type: "line", Layers: []symbolLayer{
			simpleLine("#ffffff", 0.85, 6, nil), // the casing
			simpleLine(color, 1, 3, nil),
		}}
		historical = symbol{Type: "line", Layers: []symbolLayer{simpleLine(greyDark, 1, 2.6, []float64{5.2, 3.9})}}
		return current, historical
	default: // areas
		if kind == layers.KindDisputed {
			hatch := func(line, edge string, alpha float64) symbol {
				return symbol{Type: "fill", Layers: []symbolLayer{
					linePatternFill(45, 5.7, line, alpha, 1.4),
					outline(edge, 1.8, []float64{5.4, 3.6}),
				}}
			}
			return hatch(color, color, 0.75), hatch(greyDark, greyDark, 0.6)
		}
		if fill == "" {
			fill = color
		}
		current = symbol{Type: "fill", Layers: []symbolLayer{simpleFill(fill, 0.25), outline(color, 1.2, nil)}}
		switch kind {
		case layers.KindBorders, layers.KindCountries:
			// No outline, as on the map: borders are lines of their own, and
			// an outline would draw the data's clip edges as borders.
			current = symbol{Type: "fill", Layers: []symbolLayer{simpleFill(fill, 0.16)}}
		case layers.KindContext:
			current.Layers[0] = simpleFill(fill, 0.12)
		}
		opacity, _ := strconv.ParseFloat(strings.Split(prop(current.Layers[0], "color"), ",")[3], 64)
		historical = symbol{Type: "fill", Layers: []symbolLayer{simpleFill(grey, opacity/255), outline(greyDark, 1.2, []float64{2.4, 2.4})}}
		return current, historical
	}
}

// A QML symbol and its symbol layers.
type symbol struct {
	Type   string // marker, line, fill
	Layers []symbolLayer
}

type symbolLayer struct {
	Class string
	Props [][2]string
	Sub   *symbol // the line of a line pattern fill
}

// rgba turns "#rrggbb" and an opacity into QGIS's "r,g,b,a".
func rgba(hex string, alpha float64) string {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return fmt.Sprintf("%d,%d,%d,%d", v>>16&0xff, v>>8&0xff, v&0xff, int(alpha*255+0.5))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func dashes(d []float64) string {
	s := make([]string, len(d))
	for i, v := range d {
		s[i] = num(v)
	}
	return strings.Join(s, ";")
}

func simpleMarker(shape string, size float64, fill, stroke string, strokeWidth float64) symbolLayer {
	outlineStyle, strokeColor := "solid", stroke
	if stroke == "" {
		outlineStyle, strokeColor = "no", fill
	}
	return symbolLayer{Class: "SimpleMarker", Props: [][2]string{
		{"angle", "0"}, {"color", rgba(fill, 1)}, {"joinstyle", "miter"}, {"name", shape},
		{"outline_color", rgba(strokeColor, 1)}, {"outline_style", outlineStyle}, {"outline_width", num(strokeWidth)},
		{"outline_width_unit", "Pixel"}, {"scale_method", "diameter"}, {"size", num(size)}, {"size_unit", "Pixel"},
		{"horizontal_anchor_point", "1"}, {"vertical_anchor_point", "1"}, {"offset", "0,0"}, {"offset_unit", "Pixel"},
	}}
}

func simpleLine(color string, alpha, width float64, dash []float64) symbolLayer {
	p := [][2]string{
		{"line_color", rgba(color, alpha)}, {"line_width", num(width)}, {"line_width_unit", "Pixel"},
		{"line_style", "solid"}, {"capstyle", "round"}, {"joinstyle", "round"}, {"offset", "0"}, {"offset_unit", "Pixel"},
		{"use_custom_dash", "0"},
	}
	if dash != nil {
		p[len(p)-1] = [2]string{"use_custom_dash", "1"}
		p = append(p, [2]string{"customdash", dashes(dash)}, [2]string{"customdash_unit", "Pixel"})
		p[4] = [2]string{"capstyle", "flat"}
	}
	return symbolLayer{Class: "SimpleLine", Props: p}
}

// outline is a polygon's edge: a line symbol layer inside a fill symbol.
func outline(color string, width float64, dash []float64) symbolLayer {
	l := simpleLine(color, 1, width, dash)
	l.Props = append(l.Props, [2]string{"draw_inside_polygon", "0"})
	return l
}

func simpleFill(color string, alpha float64) symbolLayer {
	return symbolLayer{Class: "SimpleFill", Props: [][2]string{
		{"color", rgba(color, alpha)}, {"style", "solid"}, {"outline_style", "no"},
		{"outline_color", rgba(color, alpha)}, {"outline_width", "0"}, {"outline_width_unit", "Pixel"}, {"joinstyle", "miter"},
	}}
}

// linePatternFill is the map's hatching: parallel lines at angle degrees
// (counter-clockwise from east), distance pixels apart.
func linePatternFill(angle, distance float64, color string, alpha, width float64) symbolLayer {
	line := simpleLine(color, alpha, width, nil)
	line.Props[3+1] = [2]string{"capstyle", "flat"}
	return symbolLayer{Class: "LinePatternFill", Props: [][2]string{
		{"angle", num(angle)}, {"color", rgba(color, alpha)}, {"distance", num(distance)}, {"distance_unit", "Pixel"},
		{"line_width", num(width)}, {"line_width_unit", "Pixel"}, {"offset", "0"}, {"offset_unit", "Pixel"},
		{"outline_width_unit", "Pixel"},
	}, Sub: &symbol{Type: "line", Layers: []symbolLayer{line}}}
}

type rule struct {
	Label, Filter string
	Symbol        symbol
}

// labeling is a layer's labels by `name`, placed as the map places them.
type labeling struct {
	Color     string
	Size      float64
	Bold      bool
	Placement string // QgsPalLayerSettings::Placement: 0 around point, 1 over point, 2 line
	Flags     string // line placement flags: 10 = on line, orientation free
	Quadrant  string // 5 = right of the point
	XOffset   string
}

func newLabeling(class, color string) *labeling {
	switch class {
	case geo.Points:
		return &labeling{Color: color, Size: 12, Placement: "1", Quadrant: "5", XOffset: "9", Flags: "10"}
	case geo.Lines:
		return &labeling{Color: color, Size: 11.5, Placement: "2", Quadrant: "4", XOffset: "0", Flags: "10"}
	}
	return &labeling{Color: color, Size: 12, Bold: true, Placement: "1", Quadrant: "4", XOffset: "0", Flags: "10"}
}

// styleBody writes the elements of a QGIS layer style (the format of QGIS
// 3.x's .qml files, and of a map layer in a project): a rule-based renderer
// and, when there are labels, simple labelling.
func styleBody(rules []rule, lab *labeling) string {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w(`  <renderer-v2 type="RuleRenderer" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">` + "\n")
	w(`    <rules key="root">` + "\n")
	for i, r := range rules {
		filter := ""
		if r.Filter != "" {
			filter = fmt.Sprintf(` filter="%s"`, attr(r.Filter))
		}
		w(`      <rule key="r%d" symbol="%d" label="%s"%s/>`+"\n", i, i, attr(r.Label), filter)
	}
	w("    </rules>\n    <symbols>\n")
	for i, r := range rules {
		writeSymbol(&b, strconv.Itoa(i), r.Symbol, "      ")
	}
	w("    </symbols>\n  </renderer-v2>\n")
	if lab != nil {
		weight := 50
		if lab.Bold {
			weight = 75
		}
		w(`  <labeling type="simple">` + "\n")
		w(`    <settings calloutType="simple">` + "\n")
		w(`      <text-style fieldName="name" isExpression="0" fontFamily="Noto Sans" fontSize="%s" fontSizeUnit="Pixel" fontWeight="%d" textColor="%s" textOpacity="1">`+"\n",
			num(lab.Size), weight, rgba(lab.Color, 1))
		w(`        <text-buffer bufferDraw="1" bufferSize="1.5" bufferSizeUnits="Pixel" bufferColor="255,255,255,255" bufferOpacity="1" bufferNoFill="1" bufferJoinStyle="128"/>` + "\n")
		w("      </text-style>\n")
		w(`      <text-format wrapChar="" autoWrapLength="24" useMaxLineLengthForAutoWrap="1" multilineAlign="0"/>` + "\n")
		w(`      <placement placement="%s" placementFlags="%s" quadOffset="%s" xOffset="%s" yOffset="0" offsetUnits="Pixel" dist="0" distUnits="Pixel" centroidInside="1" centroidWhole="0" fitInPolygonOnly="0" priority="5" maxCurvedCharAngleIn="25" maxCurvedCharAngleOut="-25" repeatDistance="0" overrunDistance="0"/>`+"\n",
			lab.Placement, lab.Flags, lab.Quadrant, lab.XOffset)
		w(`      <rendering drawLabels="1" obstacle="1" obstacleFactor="1" obstacleType="1" displayAll="0" upsidedownLabels="0" labelPerPart="0" mergeLines="1" scaleVisibility="0" limitNumLabels="0" maxNumLabels="2000" minFeatureSize="0" zIndex="0" fontLimitPixelSize="0" fontMinPixelSize="0" fontMaxPixelSize="10000"/>` + "\n")
		w("    </settings>\n  </labeling>\n")
	}
	w("  <blendMode>0</blendMode>\n  <featureBlendMode>0</featureBlendMode>\n  <layerOpacity>1</layerOpacity>\n")
	w(`  <previewExpression>"name"</previewExpression>`+"\n  <layerGeometryType>%d</layerGeometryType>\n", geometryTypeCode(rules))
	return b.String()
}

func geometryTypeCode(rules []rule) int {
	switch rules[0].Symbol.Type {
	case "marker":
		return 0
	case "line":
		return 1
	}
	return 2
}

// writeSymbol writes a symbol the way QGIS 3.22 does: each layer's
// properties both as an Option map (read by QGIS 3.26 and later) and as
// prop elements (read by earlier 3.x).
func writeSymbol(b *bytes.Buffer, name string, s symbol, indent string) {
	fmt.Fprintf(b, `%s<symbol type="%s" name="%s" alpha="1" clip_to_extent="1" force_rhr="0">`+"\n", indent, s.Type, name)
	for i, l := range s.Layers {
		fmt.Fprintf(b, `%s  <layer class="%s" enabled="1" locked="0" pass="0">`+"\n", indent, l.Class)
		fmt.Fprintf(b, `%s    <Option type="Map">`+"\n", indent)
		for _, p := range l.Props {
			fmt.Fprintf(b, `%s      <Option type="QString" name="%s" value="%s"/>`+"\n", indent, p[0], attr(p[1]))
		}
		fmt.Fprintf(b, "%s    </Option>\n", indent)
		for _, p := range l.Props {
			fmt.Fprintf(b, `%s    <prop k="%s" v="%s"/>`+"\n", indent, p[0], attr(p[1]))
		}
		if l.Sub != nil {
			writeSymbol(b, fmt.Sprintf("@%s@%d", name, i), *l.Sub, indent+"    ")
		}
		fmt.Fprintf(b, "%s  </layer>\n", indent)
	}
	fmt.Fprintf(b, "%s</symbol>\n", indent)
}

func attr(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&quot;")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func prop(l symbolLayer, k string) string {
	for _, p := range l.Props {
		if p[0] == k {
			return p[1]
		}
	}
	return ""
}

// hexOf turns QGIS's "r,g,b,a" back into "#rrggbb" and an opacity.
func hexOf(c string) (string, float64) {
	var r, g, b, a int
	fmt.Sscanf(c, "%d,%d,%d,%d", &r, &g, &b, &a)
	return fmt.Sprintf("#%02x%02x%02x", r, g, b), float64(a) / 255
}

// sld writes an OGC Symbology Encoding 1.1 style of the current symbol and
// the name labels: simple enough for any SLD reader.
func sld(l layers.Layer, class string, s symbol, labels bool, labelColor string) string {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w(`<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">` + "\n")
	w("  <NamedLayer>\n    <se:Name>%s</se:Name>\n    <UserStyle>\n      <se:Name>%s</se:Name>\n      <se:FeatureTypeStyle>\n        <se:Rule>\n          <se:Name>%s</se:Name>\n",
		attr(l.ID), attr(l.ID), attr(l.Title))
	stroke := func(color string, width float64, dash string) {
		hex, op := hexOf(color)
		w("              <se:Stroke>\n")
		w(`                <se:SvgParameter name="stroke">%s</se:SvgParameter>`+"\n", hex)
		if op < 1 {
			w(`                <se:SvgParameter name="stroke-opacity">%s</se:SvgParameter>`+"\n", num(round2(op)))
		}
		w(`                <se:SvgParameter name="stroke-width">%s</se:SvgParameter>`+"\n", num(width))
		if dash != "" {
			w(`                <se:SvgParameter name="stroke-dasharray">%s</se:SvgParameter>`+"\n", strings.ReplaceAll(dash, ";", " "))
		}
		w("              </se:Stroke>\n")
	}
	fillOf := func(color string) {
		hex, op := hexOf(color)
		w("              <se:Fill>\n")
		w(`                <se:SvgParameter name="fill">%s</se:SvgParameter>`+"\n", hex)
		if op < 1 {
			w(`                <se:SvgParameter name="fill-opacity">%s</se:SvgParameter>`+"\n", num(round2(op)))
		}
		w("              </se:Fill>\n")
	}
	for _, sl := range s.Layers {
		width, _ := strconv.ParseFloat(prop(sl, "line_width"), 64)
		switch sl.Class {
		case "SimpleLine":
			if class == geo.Areas {
				w("          <se:PolygonSymbolizer>\n")
				stroke(prop(sl, "line_color"), width, prop(sl, "customdash"))
				w("          </se:PolygonSymbolizer>\n")
				continue
			}
			w("          <se:LineSymbolizer>\n")
			stroke(prop(sl, "line_color"), width, prop(sl, "customdash"))
			w("          </se:LineSymbolizer>\n")
		case "SimpleFill":
			w("          <se:PolygonSymbolizer>\n")
			fillOf(prop(sl, "color"))
			w("          </se:PolygonSymbolizer>\n")
		case "LinePatternFill":
			hex, op := hexOf(prop(sl, "color"))
			w("          <se:PolygonSymbolizer>\n            <se:Fill>\n              <se:GraphicFill>\n                <se:Graphic>\n                  <se:Mark>\n")
			w("                    <se:WellKnownName>horline</se:WellKnownName>\n                    <se:Stroke>\n")
			w(`                      <se:SvgParameter name="stroke">%s</se:SvgParameter>`+"\n", hex)
			w(`                      <se:SvgParameter name="stroke-opacity">%s</se:SvgParameter>`+"\n", num(round2(op)))
			w(`                      <se:SvgParameter name="stroke-width">%s</se:SvgParameter>`+"\n", prop(sl, "line_width"))
			w("                    </se:Stroke>\n                  </se:Mark>\n")
			w("                  <se:Size>%s</se:Size>\n                  <se:Rotation>%s</se:Rotation>\n", prop(sl, "distance"), num(-45))
			w("                </se:Graphic>\n              </se:GraphicFill>\n            </se:Fill>\n          </se:PolygonSymbolizer>\n")
		case "SimpleMarker":
			sw, _ := strconv.ParseFloat(prop(sl, "outline_width"), 64)
			w("          <se:PointSymbolizer>\n            <se:Graphic>\n              <se:Mark>\n")
			w("                <se:WellKnownName>%s</se:WellKnownName>\n", prop(sl, "name"))
			fillOf(prop(sl, "color"))
			if prop(sl, "outline_style") != "no" {
				stroke(prop(sl, "outline_color"), sw, "")
			}
			w("              </se:Mark>\n              <se:Size>%s</se:Size>\n            </se:Graphic>\n          </se:PointSymbolizer>\n", prop(sl, "size"))
		}
	}
	if labels {
		w("          <se:TextSymbolizer>\n            <se:Label><ogc:PropertyName>name</ogc:PropertyName></se:Label>\n")
		w("            <se:Font>\n              <se:SvgParameter name=\"font-family\">Noto Sans</se:SvgParameter>\n              <se:SvgParameter name=\"font-size\">12</se:SvgParameter>\n            </se:Font>\n")
		if class == geo.Lines {
			w("            <se:LabelPlacement>\n              <se:LinePlacement/>\n            </se:LabelPlacement>\n")
		}
		w("            <se:Halo>\n              <se:Radius>1.5</se:Radius>\n              <se:Fill>\n                <se:SvgParameter name=\"fill\">#ffffff</se:SvgParameter>\n              </se:Fill>\n            </se:Halo>\n")
		w("            <se:Fill>\n              <se:SvgParameter name=\"fill\">%s</se:SvgParameter>\n            </se:Fill>\n          </se:TextSymbolizer>\n", labelColor)
	}
	w("        </se:Rule>\n      </se:FeatureTypeStyle>\n    </UserStyle>\n  </NamedLayer>\n</StyledLayerDescriptor>\n")
	return b.String()
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }
