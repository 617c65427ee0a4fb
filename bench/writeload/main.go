// Command writeload drives citemap with a mixed load of reads and writes
// for bench/write.sh: N connections for a duration, a share of them PATCHes
// by several editors on features of their own (half of them with If-Match),
// the rest GETs over a list of paths. It prints one RESULT line with read and write latency percentiles
// and the errors, telling apart the 412s If-Match is expected to give.
//
//	writeload -base URL -urls FILE [-users FILE] [-write 0.05] [-conns 64] [-d 60s]
//
// FILE of users: one "TOKEN FEATURE_PATH" per line.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type stats struct {
	mu          sync.Mutex
	reads       []time.Duration
	writes      []time.Duration
	readErrors  int
	writeErrors int
	stale       int // 412: an expected answer to a stale If-Match
	socket      int
	firstErrors []string
}

func (s *stats) add(write bool, d time.Duration, status int, err error, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		s.socket++
		if len(s.firstErrors) < 5 {
			s.firstErrors = append(s.firstErrors, what+": "+err.Error())
		}
		return
	case write && status == http.StatusPreconditionFailed:
		s.stale++
	case status >= 400:
		if write {
			s.writeErrors++
		} else {
			s.readErrors++
		}
		if len(s.firstErrors) < 5 {
			s.firstErrors = append(s.firstErrors, fmt.Sprintf("%s: %d", what, status))
		}
	}
	if write {
		s.writes = append(s.writes, d)
	} else {
		s.reads = append(s.reads, d)
	}
}

func pct(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))].Microseconds()) / 1000
}

func lines(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func main() {
	base := flag.String("base", "", "server address, http://127.0.0.1:PORT")
	urlFile := flag.String("urls", "", "file of paths to read")
	userFile := flag.String("users", "", "file of `TOKEN PATH` lines: who writes what")
	share := flag.Float64("write", 0.05, "share of requests that write")
	conns := flag.Int("conns", 64, "concurrent connections")
	dur := flag.Duration("d", 60*time.Second, "duration")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	urls, err := lines(*urlFile)
	if err != nil || len(urls) == 0 {
		fmt.Fprintln(os.Stderr, "writeload: no paths to read:", err)
		os.Exit(2)
	}
	var users [][2]string
	if *share > 0 {
		ls, err := lines(*userFile)
		if err != nil || len(ls) == 0 {
			fmt.Fprintln(os.Stderr, "writeload: no users to write as:", err)
			os.Exit(2)
		}
		for _, l := range ls {
			tok, path, _ := strings.Cut(l, " ")
			users = append(users, [2]string{tok, path})
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}}
	var st stats
	// Half the PATCHes send If-Match with the last ETag this process saw
	// for the feature: when two connections race on one feature the loser
	// gets the 412 that is expected, never a lost update.
	var tagsMu sync.Mutex
	tags := map[string]string{}
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func(r *rand.Rand) {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				var req *http.Request
				write := *share > 0 && r.Float64() < *share
				what := ""
				if write {
					u := users[r.IntN(len(users))]
					body := fmt.Sprintf(`{"properties":{"load_n":%d}}`, r.IntN(1<<30))
					req, _ = http.NewRequest("PATCH", *base+u[1], strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+u[0])
					req.Header.Set("Content-Type", "application/merge-patch+json")
					if r.IntN(2) == 0 {
						tagsMu.Lock()
						if tag := tags[u[1]]; tag != "" {
							req.Header.Set("If-Match", tag)
						}
						tagsMu.Unlock()
					}
					what = "PATCH " + u[1]
				} else {
					p := urls[r.IntN(len(urls))]
					if strings.Contains(p, "{bbox}") {
						side := 0.05 + r.Float64()*1.95
						x, y := 38+r.Float64()*(12-side), 38+r.Float64()*(6-side)
						p = strings.ReplaceAll(p, "{bbox}", fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", x, y, x+side, y+side))
					}
					req, _ = http.NewRequest("GET", *base+p, nil)
					req.Header.Set("Accept-Encoding", "gzip")
					what = "GET " + p
				}
				start := time.Now()
				res, err := client.Do(req)
				status := 0
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					status = res.StatusCode
					if write && status == http.StatusOK {
						tagsMu.Lock()
						tags[req.URL.Path] = res.Header.Get("ETag")
						tagsMu.Unlock()
					}
				}
				st.add(write, time.Since(start), status, err, what)
			}
		}(rand.New(rand.NewPCG(*seed, uint64(w))))
	}
	wg.Wait()
	secs := dur.Seconds()
	fmt.Printf("RESULT reads=%d writes=%d rps=%.0f read_p50_ms=%.2f read_p99_ms=%.2f write_p50_ms=%.2f write_p99_ms=%.2f read_errors=%d write_errors=%d stale_412=%d socket_errors=%d\n",
		len(st.reads), len(st.writes), float64(len(st.reads)+len(st.writes))/secs,
		pct(st.reads, 0.5), pct(st.reads, 0.99), pct(st.writes, 0.5), pct(st.writes, 0.99),
		st.readErrors, st.writeErrors, st.stale, st.socket)
	for _, e := range st.firstErrors {
		fmt.Fprintln(os.Stderr, "error:", e)
	}
}
