package main

import (
	"bufio"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The access log is buffered: every request still gets its line on stderr
// by the time the server has shut down, the last ones included.
func TestServeLogsEveryRequest(t *testing.T) {
	db := filepath.Join(t.TempDir(), "map.db")
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--db", db)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := make(chan string, 1)
	all := make(chan []string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		all <- lines
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("mapserver did not start listening within 60s")
	}
	paths := []string{"/healthz", "/nope?access_token=s3cret", "/tiles/bases/0/0/0.mvt", "/tiles/bases/0/0/0.mvt", "/collections/bases"}
	for _, p := range paths {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	cmd.Process.Signal(syscall.SIGTERM)
	var lines []string
	select {
	case lines = <-all:
	case <-time.After(30 * time.Second):
		t.Fatal("mapserver did not exit within 30s of SIGTERM")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
	var logged []string
	for _, l := range lines {
		if strings.Contains(l, " msg=request ") {
			_, p, _ := strings.Cut(l, " path=")
			p, _, _ = strings.Cut(p, " ")
			logged = append(logged, p)
		}
		if strings.Contains(l, "s3cret") {
			t.Errorf("a token reached the log: %q", l)
		}
	}
	want := "/healthz /nope /tiles/bases/0/0/0.mvt /tiles/bases/0/0/0.mvt /collections/bases"
	if got := strings.Join(logged, " "); got != want {
		t.Errorf("logged paths %q, want %q\nlog:\n%s", got, want, strings.Join(lines, "\n"))
	}
}
