package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/edit"
)

// The control socket: while a server holds the database, commands that
// would write to it (user add, user revoke, import, prune) hand their work to the
// server over a Unix socket beside the file, readable and writable by its
// owner only. One JSON request per connection, one JSON answer.

// socketPath is the control socket of a database.
func socketPath(db string) string { return db + ".sock" }

type controlRequest struct {
	Op    string `json:"op"` // user-add, user-list, user-revoke, import, prune
	Name  string `json:"name,omitempty"`
	Role  string `json:"role,omitempty"`
	Path  string `json:"path,omitempty"`
	Layer string `json:"layer,omitempty"`
	Split bool   `json:"split_geometry,omitempty"` // import --split-geometry
	// prune
	Before time.Time `json:"before,omitzero"`
	Keep   []int     `json:"keep,omitempty"`
}

type controlResponse struct {
	Error  string        `json:"error,omitempty"`
	Code   string        `json:"code,omitempty"`
	Token  string        `json:"token,omitempty"`
	Users  []layers.User `json:"users,omitempty"`
	Output string        `json:"output,omitempty"`
	Pruned []int         `json:"pruned,omitempty"`
}

// listenControl opens the control socket of db. A socket file left by a
// killed server is removed: this process holds the database's lock, so no
// other server can be using it.
func listenControl(db string) (net.Listener, error) {
	path := socketPath(db)
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return ln, nil
}

// serveControl answers requests on ln until ctx is done.
func serveControl(ctx context.Context, ln net.Listener, svc *edit.Service, log *slog.Logger) {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				log.Error("control socket", "err", err)
			}
			return
		}
		go func() {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Minute))
			var req controlRequest
			if err := json.NewDecoder(io.LimitReader(conn, 1<<20)).Decode(&req); err != nil {
				json.NewEncoder(conn).Encode(controlResponse{Error: "bad request: " + err.Error(), Code: layers.EINVALID})
				return
			}
			res := runControl(ctx, svc, req)
			if res.Error != "" {
				log.Warn("control request failed", "op", req.Op, "err", res.Error)
			} else {
				log.Info("control request", "op", req.Op, "name", req.Name) // never the token
			}
			json.NewEncoder(conn).Encode(res)
		}()
	}
}

func runControl(ctx context.Context, svc *edit.Service, req controlRequest) controlResponse {
	fail := func(err error) controlResponse {
		return controlResponse{Error: layers.ErrorMessage(err), Code: layers.ErrorCode(err)}
	}
	switch req.Op {
	case "user-add":
		_, token, err := svc.AddUser(ctx, req.Name, req.Role)
		if err != nil {
			return fail(err)
		}
		return controlResponse{Token: token}
	case "user-list":
		us, err := svc.ListUsers(ctx)
		if err != nil {
			return fail(err)
		}
		return controlResponse{Users: us}
	case "user-revoke":
		if err := svc.RevokeUser(ctx, req.Name); err != nil {
			return fail(err)
		}
		return controlResponse{}
	case "import":
		imp, err := openImport(req.Path, req.Layer, req.Split)
		if err != nil {
			return fail(err)
		}
		v, err := svc.Import(ctx, imp)
		if err != nil {
			var ps layers.Problems
			if errors.As(err, &ps) {
				return controlResponse{Error: fmt.Sprintf("%s: nothing was imported: %s", req.Path, ps.Error()), Code: layers.EINVALID}
			}
			return fail(fmt.Errorf("%s: nothing was imported: %w", req.Path, err))
		}
		return controlResponse{Output: fmt.Sprintf("imported %d layer(s), %d source(s), %d passage(s) as data version %d (through the running server)",
			len(imp.Layers), len(imp.Sources), len(imp.Passages), v)}
	case "prune":
		removed, err := svc.Prune(ctx, req.Before, req.Keep)
		if err != nil {
			return fail(err)
		}
		return controlResponse{Pruned: removed}
	}
	return controlResponse{Error: fmt.Sprintf("unknown operation %q", req.Op), Code: layers.EINVALID}
}

// callControl sends req to the server holding db.
func callControl(ctx context.Context, db string, req controlRequest) (controlResponse, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath(db))
	if err != nil {
		return controlResponse{}, fmt.Errorf("database %s is in use and its server does not answer on %s: %w", db, socketPath(db), err)
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return controlResponse{}, err
	}
	var res controlResponse
	if err := json.NewDecoder(conn).Decode(&res); err != nil {
		return res, fmt.Errorf("reading the server's answer: %w", err)
	}
	if res.Error != "" {
		return res, layers.Errorf(res.Code, "%s", res.Error)
	}
	return res, nil
}
