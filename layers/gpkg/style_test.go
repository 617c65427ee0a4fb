package gpkg

import (
	"encoding/xml"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/citemap/citemap/geo"
	"github.com/citemap/citemap/layers"
)

// The QGIS styles use the web map's colours (frontend/src/mapstyle.js).
func TestPaletteMatchesTheWebMap(t *testing.T) {
	b, err := os.ReadFile("../../frontend/src/mapstyle.js")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s+(\w+): \{ color: '(#[0-9a-f]{6})'(?:, fill: '(#[0-9a-f]{6})')?`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		kind, color, fill := m[1], m[2], m[3]
		ours, ok := kindColors[kind]
		if !ok {
			t.Errorf("mapstyle.js styles kind %s; the QGIS styles do not", kind)
			continue
		}
		found++
		if ours.Color != color || ours.Fill != fill {
			t.Errorf("%s: QGIS colour %s fill %s, the web map's %s fill %s", kind, ours.Color, ours.Fill, color, fill)
		}
	}
	if found < 5 {
		t.Fatalf("found %d kinds in mapstyle.js", found)
	}
}

// Every style is well-formed XML, draws its kind's colour, labels by name,
// and greys what the map greys.
func TestStyles(t *testing.T) {
	props := []string{"name", "status", "valid_to"}
	for _, tt := range []struct {
		kind, class, want string
		hist              bool
	}{
		{layers.KindBases, geo.Points, "155,28,28,255", true},
		{layers.KindEvents, geo.Points, "31,111,178,255", true},
		{layers.KindCorridors, geo.Lines, "211,84,0,255", true},
		{layers.KindBorders, geo.Lines, "91,63,159,255", true},
		{layers.KindCountries, geo.Areas, "201,185,143,41", true},
		{layers.KindDisputed, geo.Areas, `class="LinePatternFill"`, true},
		{layers.KindOther, geo.Points, "46,125,50,255", true},
		{layers.KindContext, geo.Points, "163,170,178,255", true},
	} {
		st := StyleOf(layers.Layer{ID: "x", Title: "X", Kind: tt.kind}, tt.class, props)
		for name, doc := range map[string]string{"QML": st.QML[strings.Index(st.QML, "\n")+1:], "SLD": st.SLD} {
			if err := xml.Unmarshal([]byte(doc), new(struct{})); err != nil {
				t.Errorf("%s %s: %v", tt.kind, name, err)
			}
		}
		if !strings.Contains(st.QML, tt.want) || !strings.Contains(st.QML, `fieldName="name"`) {
			t.Errorf("%s/%s QML lacks %s or name labels:\n%s", tt.kind, tt.class, tt.want, st.QML)
		}
		if strings.Contains(st.QML, "historical") != tt.hist {
			t.Errorf("%s: historical rule present = %v", tt.kind, !tt.hist)
		}
	}
	// Events are all past: only their status greys them.
	ev := StyleOf(layers.Layer{ID: "e", Kind: layers.KindEvents}, geo.Points, props)
	if strings.Contains(ev.QML, "valid_to") {
		t.Error("events greyed by date")
	}
	// No such properties, no rule that names them; no name, no labels.
	bare := StyleOf(layers.Layer{ID: "b", Kind: layers.KindBases}, geo.Points, nil)
	if strings.Contains(bare.QML, "status") || strings.Contains(bare.QML, "<labeling") {
		t.Errorf("bare layer style:\n%s", bare.QML)
	}
}
