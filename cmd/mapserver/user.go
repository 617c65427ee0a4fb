package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/citemap/citemap/layers"
	"github.com/citemap/citemap/layers/bolt"
	"github.com/citemap/citemap/layers/edit"
)

// handoffTimeout is how long a command waits for the database before it
// hands its work to the server holding it.
const handoffTimeout = 300 * time.Millisecond

// withDB runs local on the database when this process can open it, or
// remote through the running server's control socket when a server holds it.
func withDB(ctx context.Context, db string, local func(*bolt.Store) error, remote func() error) error {
	store, err := bolt.Open(db, handoffTimeout)
	if layers.ErrorCode(err) == layers.ELOCKED {
		return remote()
	}
	if err != nil {
		return err
	}
	defer store.Close()
	return local(store)
}

func localService(store *bolt.Store) *edit.Service {
	ed := store.Editing()
	return edit.New(edit.Config{Store: store, Users: ed, Changesets: ed})
}

func (m *Main) user(ctx context.Context, args []string) error {
	const synopsis = "user add NAME --role editor|reviewer|admin | user list | user revoke NAME  [--db FILE]"
	fset := m.flags("user", synopsis)
	role := fset.String("role", "", "role of a new user: editor (writes drafts), reviewer (also publishes and reverts), admin (also manages users)")
	dbPath := fset.String("db", m.env("MAPSERVER_DB", "./mapserver.db"), "database file (env MAPSERVER_DB)")
	pos, err := m.parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: user needs a subcommand: add, list or revoke", errUsage)
	}
	switch sub := pos[0]; sub {
	case "add":
		if len(pos) != 2 {
			return fmt.Errorf("%w: user add takes one NAME", errUsage)
		}
		if !layers.ValidRole(*role) {
			return fmt.Errorf("%w: user add needs --role editor, reviewer or admin", errUsage)
		}
		var token string
		err := withDB(ctx, *dbPath, func(st *bolt.Store) error {
			_, t, err := localService(st).AddUser(ctx, pos[1], *role)
			token = t
			return err
		}, func() error {
			res, err := callControl(ctx, *dbPath, controlRequest{Op: "user-add", Name: pos[1], Role: *role})
			token = res.Token
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "added user %s (%s). Its token is shown this once; keep it secret:\n%s\n", pos[1], *role, token)
		return nil
	case "list":
		if len(pos) != 1 {
			return fmt.Errorf("%w: user list takes no arguments", errUsage)
		}
		var users []layers.User
		err := withDB(ctx, *dbPath, func(st *bolt.Store) error {
			var err error
			users, err = localService(st).ListUsers(ctx)
			return err
		}, func() error {
			res, err := callControl(ctx, *dbPath, controlRequest{Op: "user-list"})
			users = res.Users
			return err
		})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATE")
		for _, u := range users {
			state := "active"
			if !u.Active() {
				state = "revoked " + u.Revoked.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Created.Format(time.RFC3339), state)
		}
		return tw.Flush()
	case "revoke":
		if len(pos) != 2 {
			return fmt.Errorf("%w: user revoke takes one NAME", errUsage)
		}
		err := withDB(ctx, *dbPath, func(st *bolt.Store) error {
			return localService(st).RevokeUser(ctx, pos[1])
		}, func() error {
			_, err := callControl(ctx, *dbPath, controlRequest{Op: "user-revoke", Name: pos[1]})
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "revoked user %s: its token and sessions no longer work\n", pos[1])
		return nil
	default:
		return fmt.Errorf("%w: unknown user subcommand %q (add, list, revoke)", errUsage, sub)
	}
}
