package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const nginxPath = "/usr/sbin/nginx"

// serveStatic serves dir with Debian's nginx on a free loopback port, as a
// static host would, and returns its base URL. nginx knows the types of the
// files an export holds that its mime.types lacks (a deployer adds them, or
// sets them from content-types.json on upload).
func serveStatic(t *testing.T, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("drives nginx; skipped in -short mode (make check)")
	}
	if _, err := os.Stat(nginxPath); err != nil {
		t.Skipf("%s is missing (Debian package nginx; `make deps` installs it): cannot check what a static host serves", nginxPath)
	}
	work := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		conf := filepath.Join(work, "nginx.conf")
		body := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	types {
		application/geo+json geojson;
		application/vnd.mapbox-vector-tile mvt;
		application/geopackage+sqlite3 gpkg;
		text/csv csv;
	}
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen %[2]s;
		root %[3]s;
		index index.html;
	}
}
`, work, addr, dir)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(nginxPath, "-p", work, "-e", filepath.Join(work, "error.log"), "-c", conf)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Ready when it accepts a connection; gone if it exits first (the
		// port was taken in between: try another).
		deadline := time.Now().Add(30 * time.Second)
		for {
			select {
			case err := <-exited:
				log, _ := os.ReadFile(filepath.Join(work, "error.log"))
				lastErr = fmt.Errorf("nginx exited: %v\n%s%s", err, out, log)
			default:
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err == nil {
					c.Close()
					t.Cleanup(func() {
						cmd.Process.Signal(syscall.SIGQUIT)
						select {
						case <-exited:
						case <-time.After(10 * time.Second):
							cmd.Process.Kill()
							<-exited
						}
					})
					return "http://" + addr
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					<-exited
					t.Fatalf("nginx did not accept connections on %s within 30s\n%s", addr, out)
				}
				time.Sleep(20 * time.Millisecond) // polling a port, not timing a result
				continue
			}
			break
		}
	}
	t.Fatalf("nginx would not start: %v", lastErr)
	return ""
}
