package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeLog is what one writer knows of its writes: those answered 2xx,
// those refused, and the one in flight when the server died.
type writeLog struct {
	mu       sync.Mutex
	acked    map[string]int // feature id -> last acknowledged value of n
	inflight map[string]int // feature id -> n of the request in flight (-1: a create)
	refused  map[string]bool
	publish  map[int]bool // changesets whose publish was acknowledged
	n2xx     int          // writes answered 2xx
}

func newWriteLog() *writeLog {
	return &writeLog{acked: map[string]int{}, inflight: map[string]int{}, refused: map[string]bool{}, publish: map[int]bool{}}
}

// TestKillDuringWrites kills the server with SIGKILL at random moments of a
// stream of writes by four editors and a reviewer who publishes. After each
// restart every write answered 2xx is there, nothing refused or never sent
// is, a write in flight is either there or not, and `check --db` passes.
// Replay a run with CITEMAP_KILL_SEED=<the logged seed>.
func TestKillDuringWrites(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	if v, err := strconv.Atoi(os.Getenv("CITEMAP_KILL_ROUNDS")); err == nil {
		rounds = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CITEMAP_KILL_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (replay with CITEMAP_KILL_SEED=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 12))

	db := filepath.Join(t.TempDir(), "kill.db")
	// Users made before any server runs: the command opens the file itself.
	tokens := map[string]string{}
	// Four editors write at once, so that draft writes share commits.
	editors := []string{"ed1", "ed2", "ed3", "ed4"}
	logs := map[string]*writeLog{}
	for _, name := range editors {
		tokens[name] = addUser(t, db, name, "editor")
		logs[name] = newWriteLog()
	}
	tokens["rev"] = addUser(t, db, "rev", "reviewer")
	published := map[int]bool{}
	httpc := &http.Client{Timeout: 20 * time.Second}
	acks := 0

	for round := 0; round < rounds; round++ {
		srv := start(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, name := range editors {
			wg.Add(1)
			go func(name string, wr *rand.Rand) {
				defer wg.Done()
				editorStream(ctx, httpc, srv.base, tokens[name], fmt.Sprintf("kt%d-%s", round, name), logs[name], wr)
			}(name, rand.New(rand.NewPCG(seed, uint64(round*10)+uint64(name[2]))))
		}
		revLog := newWriteLog()
		wg.Add(1)
		go func() {
			defer wg.Done()
			reviewerStream(ctx, httpc, srv.base, tokens["rev"], revLog)
		}()
		wait := time.Duration(200+r.IntN(1300)) * time.Millisecond
		time.Sleep(wait) // a random moment of the stream: the point of the test
		srv.cmd.Process.Kill()
		<-srv.done
		cancel()
		wg.Wait()
		for id := range revLog.publish {
			published[id] = true
		}

		// Restart and compare.
		srv2 := start(t, db)
		for name, wl := range logs {
			c := client{t, srv2.base, tokens[name]}
			wl.mu.Lock()
			for id, n := range wl.acked {
				res, b := c.do("GET", "/collections/bases/items/"+id, "", "")
				got := -2
				if res.StatusCode == 200 {
					got = propN(b)
				}
				if in, ok := wl.inflight[id]; ok && got == in {
					continue
				}
				if got != n {
					t.Fatalf("round %d (killed after %s): %s/%s holds n=%d (status %d), the last acknowledged write set n=%d", round, wait, name, id, got, res.StatusCode, n)
				}
				acks++
			}
			for id := range wl.refused {
				if _, ok := wl.acked[id]; ok {
					continue
				}
				if res, _ := c.do("GET", "/collections/bases/items/"+id, "", ""); res.StatusCode != 404 {
					t.Fatalf("round %d: %s, whose create was refused, exists", round, id)
				}
			}
			// An unacknowledged create is either there or not; whichever it
			// is now is what it stays.
			for id, n := range wl.inflight {
				if n == -1 {
					if res, b := c.do("GET", "/collections/bases/items/"+id, "", ""); res.StatusCode == 200 {
						wl.acked[id] = propN(b)
					}
				} else if _, ok := wl.acked[id]; ok {
					res, b := c.do("GET", "/collections/bases/items/"+id, "", "")
					if res.StatusCode == 200 {
						wl.acked[id] = propN(b)
					}
				}
			}
			wl.inflight = map[string]int{}
			wl.mu.Unlock()
		}
		// Nothing else: every feature of the stream in the drafts or the
		// published layer is one a writer sent.
		rc := client{t, srv2.base, tokens["rev"]}
		_, b := rc.do("GET", "/changesets", "", "")
		var list struct {
			Changesets []struct {
				ID      int    `json:"id"`
				State   string `json:"state"`
				Changes []struct {
					ID string `json:"id"`
				} `json:"changes"`
			} `json:"changesets"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("changesets: %v %s", err, b)
		}
		for _, cs := range list.Changesets {
			if published[cs.ID] && cs.State != "published" {
				t.Fatalf("round %d: changeset %d was published (answered 200) but is %s", round, cs.ID, cs.State)
			}
			for _, ch := range cs.Changes {
				if !sent(logs, ch.ID) {
					t.Fatalf("round %d: changeset %d holds %s, which no writer sent", round, cs.ID, ch.ID)
				}
			}
		}
		_, b = rc.do("GET", "/collections/bases/items?limit=10000", "", "")
		for _, id := range featureIDs(b) {
			if strings.HasPrefix(id, "kt") && !sent(logs, id) {
				t.Fatalf("round %d: published layer holds %s, which no writer sent", round, id)
			}
		}
		srv2.stop(t)
		if out, stderr, code := run(t, "check", "--db", db); code != 0 {
			t.Fatalf("round %d: check --db: exit %d\n%s%s", round, code, out, stderr)
		}
		writes, feats := 0, 0
		for _, wl := range logs {
			writes += wl.n2xx
			feats += len(wl.acked)
		}
		t.Logf("round %d: killed after %s; so far %d writes answered 2xx on %d features, all present after restart (%d checks); %d publishes answered 200, all published",
			round, wait, writes, feats, acks, len(published))
	}
}

func sent(logs map[string]*writeLog, id string) bool {
	for _, wl := range logs {
		if _, ok := wl.acked[id]; ok {
			return true
		}
		if _, ok := wl.inflight[id]; ok {
			return true
		}
	}
	return false
}

func propN(b []byte) int {
	var f struct {
		Properties struct {
			N int `json:"n"`
		} `json:"properties"`
	}
	json.Unmarshal(b, &f)
	return f.Properties.N
}

func featureIDs(b []byte) []string {
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	json.Unmarshal(b, &fc)
	var ids []string
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	return ids
}

// editorStream creates features and patches its own until ctx ends.
func editorStream(ctx context.Context, c *http.Client, base, token, prefix string, wl *writeLog, r *rand.Rand) {
	var mine []string
	for i := 0; ctx.Err() == nil; i++ {
		var method, path, ctype, body, id string
		n := i
		if len(mine) == 0 || r.IntN(3) == 0 {
			id = fmt.Sprintf("%s-%d", prefix, i)
			method, path, ctype = "POST", "/collections/bases/items", "application/geo+json"
			body = fmt.Sprintf(`{"type":"Feature","id":%q,"geometry":{"type":"Point","coordinates":[%.4f,%.4f]},
			 "properties":{"name":"kill test %s","n":%d,"claims":[{"passage":"p004-06","aspect":"existence","relation":"supports","basis":"explicit"}]}}`,
				id, 44+r.Float64(), 40+r.Float64(), id, n)
		} else {
			id = mine[r.IntN(len(mine))]
			method, path, ctype = "PATCH", "/collections/bases/items/"+id, "application/merge-patch+json"
			body = fmt.Sprintf(`{"properties":{"n":%d}}`, n)
		}
		wl.mu.Lock()
		if method == "POST" {
			wl.inflight[id] = -1
		} else {
			wl.inflight[id] = n
		}
		wl.mu.Unlock()
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		res, err := c.Do(req)
		if err != nil {
			return // the server died: this request stays in flight
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		wl.mu.Lock()
		delete(wl.inflight, id)
		switch {
		case res.StatusCode/100 == 2:
			wl.n2xx++
			wl.acked[id] = n
			if method == "POST" {
				mine = append(mine, id)
			}
		case method == "POST":
			wl.refused[id] = true
		}
		wl.mu.Unlock()
	}
}

// reviewerStream publishes open changesets until ctx ends.
func reviewerStream(ctx context.Context, c *http.Client, base, token string, wl *writeLog) {
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/changesets", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := c.Do(req)
		if err != nil {
			return
		}
		var list struct {
			Changesets []struct {
				ID      int    `json:"id"`
				State   string `json:"state"`
				Changes []any  `json:"changes"`
			} `json:"changesets"`
		}
		json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		for _, cs := range list.Changesets {
			if cs.State != "open" || len(cs.Changes) < 3 {
				continue
			}
			req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/changesets/%d/publish", base, cs.ID), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := c.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				wl.mu.Lock()
				wl.publish[cs.ID] = true
				wl.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}
