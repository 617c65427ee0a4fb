package layers

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var decodeCases = []string{
	`{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[44.5,40.1]},"properties":{"name":"Gyumri"}}`,
	`{"id":12,"type":"Feature","properties":{"n":1.5,"nested":{"a":[1,"x",null]},"claims":[{"passage":"p1","aspect":"location","relation":"supports","basis":"explicit"}]},"geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"}}`,
	"{ \"type\" : \"Feature\" , \"id\" : 1.25e2 ,\n\"geometry\" : { \"type\" : \"MultiPolygon\" , \"coordinates\" : [ [ [ [ 0 , 0 ] , [ 0 , 1 ] , [ 1 , 1 ] , [ 0 , 0 ] ] ] , [ [ [ 5 , 5 ] , [ 6 , 5 ] , [ 6 , 6 ] , [ 5 , 5 ] ] ] ] } , \"properties\" : null }",
	`{"type":"Feature","id":"l","geometry":{"type":"LineString","coordinates":[[-0,1E-7],[1e21,-2.5E+3]]},"properties":{}}`,
	`{"type":"Feature","id":"ml","geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]}}`,
	`{"type":"Feature","id":"mp","geometry":{"type":"MultiPoint","coordinates":[[1,2],[3,4]]},"properties":{"tags":["a"],"\u003c":"esc"}}`,
	// Left to the general path:
	`{"type":"Feature","id":"cl","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"claims":"not a list"}}`,
	`{"type":"Feature","id":"b","bbox":[0,0,1,1],"geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"type":"Feature","ID":"upper","geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"x","Id":"y","geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"Type":"Feature","id":"t","geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"3d","geometry":{"type":"Point","coordinates":[1,2,3]}}`,
	`{"type":"Feature","id":"1d","geometry":{"type":"Point","coordinates":[1]}}`,
	`{"type":"Feature","id":"e","geometry":{"type":"Polygon","coordinates":[]}}`,
	`{"type":"Feature","id":"er","geometry":{"type":"Polygon","coordinates":[[]]}}`,
	`{"type":"Feature","id":"n","geometry":{"type":"Point","coordinates":null}}`,
	`{"type":"Feature","id":"big","geometry":{"type":"Point","coordinates":[1e400,0]}}`,
	`{"type":"Feature","id":"gc","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]}]}}`,
	`{"type":"Feature","id":"gb","geometry":{"type":"Point","coordinates":[0,0],"bbox":[0,0,0,0]}}`,
	`{"type":"Feature","id":"dup","geometry":{"type":"Point","type":"LineString","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"esc","geometry":{"type":"P\u006fint","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"bad","geometry":{"type":"Circle","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"str","geometry":{"type":"Point","coordinates":["1",2]}}`,
	`{"type":"Feature","id":null,"geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"type":"Feature","id":true,"geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"ng","geometry":null}`,
	`{"type":"Feature","id":"nog"}`,
	`{"type":"Fixture","id":"t2","geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"id":"noType","geometry":{"type":"Point","coordinates":[0,0]}}`,
	`{"type":"Feature","id":"p","geometry":{"type":"Point","coordinates":[0,0]},"properties":[1]}`,
	`{"type":"Feature","id":"c","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"claims":[{"passage":5}]}}`,
	`[1,2]`,
	`{"type":"Feature","id":"hex","geometry":{"type":"Point","coordinates":[0x10,0]}}`,
}

// The fast path must give exactly what the general one gives, or step
// aside.
func checkFastDecode(t *testing.T, raw string) {
	t.Helper()
	fast, ok := fastDecode("lyr", []byte(raw))
	want, err := decodeGeneral("lyr", []byte(raw))
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("%s: fast path accepted what the general path refuses: %v", raw, err)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("%s:\nfast    %#v\ngeneral %#v", raw, fast, want)
	}
}

func TestFastDecodeMatchesGeneral(t *testing.T) {
	fast := 0
	for _, raw := range decodeCases {
		checkFastDecode(t, raw)
		if _, ok := fastDecode("lyr", []byte(raw)); ok {
			fast++
		}
		// decodeFeature, whichever path it takes, gives the general result.
		got, gerr := decodeFeature("lyr", []byte(raw))
		want, werr := decodeGeneral("lyr", []byte(raw))
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decodeFeature %v %v, general %v %v", raw, got, gerr, want, werr)
		}
	}
	if fast != 6 {
		t.Errorf("the fast path took %d of the first 6 cases, want all 6 and none of the rest", fast)
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, raw := range decodeCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkFastDecode(t, raw)
	})
}

// JSONNumberEnd finds exactly what encoding/json takes for a number.
func TestJSONNumberEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"0", 1}, {"-0", 2}, {"12.5e-3,", 7}, {"1E+9]", 4}, {"-", -1}, {"01", 1}, {"1.", -1},
		{".5", -1}, {"1e", -1}, {"1e+", -1}, {"-a", -1}, {"", -1}, {"3 ", 1}, {"+1", -1},
	} {
		if got := JSONNumberEnd([]byte(c.in), 0); got != c.want {
			t.Errorf("%q: %d, want %d", c.in, got, c.want)
		}
	}
}

func FuzzJSONNumberEnd(f *testing.F) {
	for _, s := range []string{"0", "-12.5e+3", "1.", "01", "-", "1e9x", "\u00b9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		n := JSONNumberEnd(b, 0)
		if n >= 0 {
			// A number ends there: encoding/json reads it as one.
			if !json.Valid(b[:n]) {
				t.Fatalf("%q: ends at %d, but %q is not a JSON number", s, n, b[:n])
			}
			// And it is the longest: the number cannot go on.
			if n < len(b) && !strings.ContainsRune(" \t\r\n", rune(b[n])) && json.Valid(b[:n+1]) {
				t.Fatalf("%q: ends at %d, but %q is a number too", s, n, b[:n+1])
			}
		} else if json.Valid(b) && len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
			t.Fatalf("%q: no number found, but it is valid JSON", s)
		}
	})
}
