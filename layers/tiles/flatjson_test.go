package tiles

import (
	"encoding/json"
	"reflect"
	"testing"
)

var flatCases = []string{
	`{}`, ` { } `, `{"name":"Gyumri","n":1.5,"ok":true,"no":false,"none":null}`,
	`{"name":"Գյումրի","neg":-0,"e":1E-7,"big":1e21,"int":42,"x":-12.5e+3}`,
	"{ \"a\" :\t\"b\" ,\n\"c\" : 2 }", `{"a":"x","a":"y"}`,
	// For encoding/json:
	`{"esc":"a\"b\u003c"}`, `{"nested":{"a":1}}`, `{"list":[1,2]}`, `{"bad":"\xff"}`, `{"big":1e400}`,
	`{"a":01}`, `{"a":1.}`, `{"a":tru}`, `{"a":1,}`, `{"a" 1}`, `[]`, `null`, ``, `{"a":1} x`, `{"a":"tab	"}`,
}

func checkFlat(t *testing.T, raw string) {
	t.Helper()
	got, gerr := unmarshalFlat([]byte(raw))
	var want map[string]any
	werr := json.Unmarshal([]byte(raw), &want)
	if (gerr == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: got %#v (%v), encoding/json %#v (%v)", raw, got, gerr, want, werr)
	}
}

func TestUnmarshalFlatMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, raw := range flatCases {
		checkFlat(t, raw)
		if _, ok := scanFlat([]byte(raw)); ok {
			fast++
		}
	}
	if fast != 6 {
		t.Errorf("the one-pass reader took %d cases, want the first 6", fast)
	}
}

func FuzzUnmarshalFlat(f *testing.F) {
	for _, raw := range flatCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkFlat(t, raw) })
}
