package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestCaucasusTilesZ6(t *testing.T) {
	got := caucasusTiles(6, 6)
	want := []string{"6/38/23", "6/38/24", "6/39/23", "6/39/24", "6/40/23", "6/40/24"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("z6 tiles over the area: %v, want %v", got, want)
	}
}

func TestWriteFollowsWeights(t *testing.T) {
	groups := map[string][]string{
		"items":    {"/a"},                              // 30 %
		"features": {"/b1", "/b2", "/b3", "/b4", "/b5"}, // 20 %
		"layers":   {"/c"},                              // 5 %
	}
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	write(w, groups)
	w.Flush()
	count := map[byte]int{}
	total := 0
	for _, l := range strings.Split(sb.String(), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		count[l[1]]++
		total++
	}
	share := func(c byte) float64 { return float64(count[c]) / float64(total) }
	// 30:20:5 of 55.
	for c, want := range map[byte]float64{'a': 30.0 / 55, 'b': 20.0 / 55, 'c': 5.0 / 55} {
		if d := share(c) - want; d > 0.03 || d < -0.03 {
			t.Errorf("group %c has %.3f of the lines, want %.3f", c, share(c), want)
		}
	}
}
