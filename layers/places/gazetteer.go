package places

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// gazetteerData is the bundled gazetteer, made by gen/main.go (see
// gazetteer.md for its sources and licences). Tab-separated, one entry a
// line: kind, name, other names (";"-separated), lon, lat, country code,
// population, source. Lines starting with "#" are comments.
//
//go:embed gazetteer.tsv.gz
var gazetteerData []byte

// Bundled returns the bundled gazetteer: populated places and first-level
// regions of the South Caucasus and its neighbours (GeoNames, CC BY 4.0),
// country areas (Natural Earth, public domain), and a few far namesakes so
// that ambiguity can be ranked. The slice is shared: do not modify it.
func Bundled() ([]Entry, error) { return bundled() }

var bundled = sync.OnceValues(func() ([]Entry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gazetteerData))
	if err != nil {
		return nil, fmt.Errorf("places: bundled gazetteer: %w", err)
	}
	return ReadGazetteer(zr)
})

// ReadGazetteer reads entries in the bundled gazetteer's format.
func ReadGazetteer(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("places: gazetteer line %d: %d fields, want 8", line, len(f))
		}
		lon, err1 := strconv.ParseFloat(f[3], 64)
		lat, err2 := strconv.ParseFloat(f[4], 64)
		pop, err3 := strconv.Atoi(f[6])
		if err1 != nil || err2 != nil || err3 != nil || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return nil, fmt.Errorf("places: gazetteer line %d: bad coordinates or population", line)
		}
		switch f[0] {
		case KindCountry, KindRegion, KindCity, KindCapital:
		default:
			return nil, fmt.Errorf("places: gazetteer line %d: unknown kind %q", line, f[0])
		}
		if f[1] == "" || f[7] == "" {
			return nil, fmt.Errorf("places: gazetteer line %d: an entry needs a name and a source", line)
		}
		e := Entry{
			Place:      Place{Name: f[1], Lon: lon, Lat: lat, Source: f[7]},
			Kind:       f[0],
			Country:    f[5],
			Population: pop,
		}
		if f[2] != "" {
			e.Names = strings.Split(f[2], ";")
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("places: gazetteer: %w", err)
	}
	return out, nil
}
