// Command urls asks a running citemap server what it serves and writes the
// path list that bench/mixed.lua replays under load.
//
//	go run ./bench/urls -base http://127.0.0.1:8080 -optional bench/optional-urls.txt -o urls.txt
//
// It lists the layers (/collections), a few features of each, the sources and
// some passages, items queries with random bboxes ("{bbox}", filled in by
// mixed.lua), the whole-layer downloads, tiles, and every path of the
// -optional file (embed pages, static images, ...). Each path is fetched once
// before the load: any that fails, 404 and 405 included, is an error (exit 1)
// naming it. Every route listed is built; one that stops answering is a
// regression, not something to leave out of the mix quietly.
// Groups are weighted by repeating lines, so a random pick follows the mix
// below whatever the number of paths in each group.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// The share of requests per group, in percent (groups that are absent drop
// out and the others share their part).
var weights = map[string]int{
	"items":    30,
	"features": 20,
	"tiles":    20,
	"sources":  10,
	"optional": 10,
	"layers":   5,
	"meta":     5,
}

var client = &http.Client{Timeout: 30 * time.Second}

func main() {
	base := flag.String("base", "", "server base URL, e.g. http://127.0.0.1:8080")
	out := flag.String("o", "-", "output file")
	optional := flag.String("optional", "", "file of optional path templates ({layer}, {feature}, {source}; {base} is the query-escaped base URL)")
	perLayer := flag.Int("features", 5, "feature paths per layer")
	flag.Parse()
	if *base == "" {
		fmt.Fprintln(os.Stderr, "urls: -base is required")
		os.Exit(2)
	}
	groups, err := discover(strings.TrimRight(*base, "/"), *optional, *perLayer)
	if err != nil {
		fmt.Fprintln(os.Stderr, "urls:", err)
		os.Exit(1)
	}
	w := io.Writer(os.Stdout)
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "urls:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	write(bw, groups)
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "urls:", err)
		os.Exit(1)
	}
}

func write(w *bufio.Writer, groups map[string][]string) {
	names := make([]string, 0, len(groups))
	maxLen := 1
	for g, ps := range groups {
		if len(ps) > 0 {
			names = append(names, g)
			maxLen = max(maxLen, len(ps))
		}
	}
	sort.Strings(names)
	// Each group gets weight*scale lines in all, so that the largest group
	// needs no line twice less than once.
	scale := 1.0
	for _, g := range names {
		scale = max(scale, float64(len(groups[g]))/float64(weights[g]))
	}
	for _, g := range names {
		ps := groups[g]
		reps := int(math.Ceil(float64(weights[g]) * scale / float64(len(ps))))
		fmt.Fprintf(w, "# %s: %d paths x %d (weight %d%%)\n", g, len(ps), reps, weights[g])
		for _, p := range ps {
			for range reps {
				fmt.Fprintln(w, p)
			}
		}
	}
}

func getJSON(url string, v any) error {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

func status(url string) int {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func discover(base, optionalFile string, perLayer int) (map[string][]string, error) {
	groups := map[string][]string{}
	var cols struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	if err := getJSON(base+"/collections?f=json", &cols); err != nil {
		return nil, err
	}
	if len(cols.Collections) == 0 {
		return nil, fmt.Errorf("no collections at %s", base)
	}
	var layerIDs, featureIDs []string
	for _, c := range cols.Collections {
		layerIDs = append(layerIDs, c.ID)
		groups["meta"] = append(groups["meta"], "/collections/"+c.ID+"?f=json")
		groups["layers"] = append(groups["layers"], "/layers/"+c.ID+".geojson")
		groups["items"] = append(groups["items"], "/collections/"+c.ID+"/items?bbox={bbox}&limit=100")
		var page struct {
			Features []struct {
				ID any `json:"id"`
			} `json:"features"`
		}
		if err := getJSON(fmt.Sprintf("%s/collections/%s/items?limit=%d", base, c.ID, perLayer), &page); err != nil {
			return nil, err
		}
		for _, f := range page.Features {
			id := fmt.Sprint(f.ID)
			featureIDs = append(featureIDs, c.ID+"/"+id)
			groups["features"] = append(groups["features"], "/collections/"+c.ID+"/items/"+id)
		}
	}
	groups["meta"] = append(groups["meta"], "/collections?f=json", "/healthz")

	var srcs struct {
		Sources []struct {
			ID string `json:"id"`
		} `json:"sources"`
	}
	if err := getJSON(base+"/sources?f=json", &srcs); err != nil {
		return nil, err
	}
	var sourceIDs []string
	for _, s := range srcs.Sources {
		sourceIDs = append(sourceIDs, s.ID)
		groups["sources"] = append(groups["sources"], "/sources/"+s.ID+"?f=json")
		var src struct {
			Passages []struct {
				ID string `json:"id"`
			} `json:"passages"`
		}
		if err := getJSON(base+"/sources/"+s.ID+"?f=json", &src); err != nil {
			return nil, err
		}
		for i, p := range src.Passages {
			if i >= 3 {
				break
			}
			groups["sources"] = append(groups["sources"], "/passages/"+p.ID+"?f=json")
		}
	}

	for _, l := range layerIDs {
		for _, t := range caucasusTiles(4, 9) {
			groups["tiles"] = append(groups["tiles"], fmt.Sprintf("/tiles/%s/%s.mvt", l, t))
		}
		groups["meta"] = append(groups["meta"], "/tiles/"+l+".json")
	}

	// Optional routes: the templates that answer.
	if optionalFile != "" {
		lines, err := readLines(optionalFile)
		if err != nil {
			return nil, err
		}
		for _, tmpl := range lines {
			var ps []string
			switch {
			case strings.Contains(tmpl, "{feature}"):
				for _, lf := range featureIDs {
					l, f, _ := strings.Cut(lf, "/")
					ps = append(ps, strings.NewReplacer("{layer}", l, "{feature}", f).Replace(tmpl))
				}
			case strings.Contains(tmpl, "{layer}"):
				for _, l := range layerIDs {
					ps = append(ps, strings.ReplaceAll(tmpl, "{layer}", l))
				}
			case strings.Contains(tmpl, "{source}"):
				for _, s := range sourceIDs {
					ps = append(ps, strings.ReplaceAll(tmpl, "{source}", s))
				}
			default:
				ps = []string{tmpl}
			}
			for i := range ps {
				ps[i] = strings.ReplaceAll(ps[i], "{base}", url.QueryEscape(base))
			}
			if len(ps) == 0 {
				return nil, fmt.Errorf("optional path %s: the server has nothing to fill it with", tmpl)
			}
			groups["optional"] = append(groups["optional"], ps...)
		}
	}

	// Every listed path must answer 2xx/3xx once before the load starts: a
	// 404 or 405 is a route that went missing, and fails the run.
	var bad []string
	for _, ps := range groups {
		for _, p := range ps {
			u := base + strings.ReplaceAll(p, "{bbox}", "43.5,40.5,44.5,41.5")
			if st := status(u); st == 0 || st >= 400 {
				bad = append(bad, fmt.Sprintf("%s -> %d", p, st))
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("paths that fail before any load:\n  %s", strings.Join(bad, "\n  "))
	}
	return groups, nil
}

// caucasusTiles lists z/x/y of every tile from zoom zmin to zmax that covers
// the sample area (lon 38-50, lat 38-44), up to 40 per zoom (evenly picked).
func caucasusTiles(zmin, zmax int) []string {
	var out []string
	for z := zmin; z <= zmax; z++ {
		x0, x1 := lon2x(38, z), lon2x(50, z)
		y0, y1 := lat2y(44, z), lat2y(38, z)
		var zs []string
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				zs = append(zs, fmt.Sprintf("%d/%d/%d", z, x, y))
			}
		}
		step := max(1, len(zs)/40)
		for i := 0; i < len(zs); i += step {
			out = append(out, zs[i])
		}
	}
	return out
}

func lon2x(lon float64, z int) int { return int((lon + 180) / 360 * math.Exp2(float64(z))) }

func lat2y(lat float64, z int) int {
	r := lat * math.Pi / 180
	return int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * math.Exp2(float64(z)))
}

func readLines(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}
