// Package pgtest gives tests of the PostgreSQL store a database of their
// own on a real server.
//
// The server is named by the environment variable JIFEN_TEST_POSTGRES, a
// URL whose role may create databases (.ci/run starts one on loopback).
// Without it the tests are skipped, except under CI=true, where a missing
// server fails them: CI must never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that names the test server.
const Env = "JIFEN_TEST_POSTGRES"

// DB creates an empty database for the test and returns its URL; the
// database is dropped when the test ends. Without a server it skips the
// test (fails it under CI=true).
func DB(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		msg := Env + " is not set: the PostgreSQL tests need a server (a URL like " +
			"postgres://user:password@127.0.0.1:5432/postgres whose role may create databases; .ci/run starts one)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test server (%s): %v", Env, err)
	}
	defer admin.Close(context.Background())
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "jifen_test_" + hex.EncodeToString(b[:])
	// template0: nothing a previous test left in template1 leaks in.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		// A plain DROP stops an autovacuum worker on the database; FORCE
		// also ends the sessions a failed test left open (but needs the
		// right to end others' processes for workers it cannot stop).
		for try := 0; try < 50; try++ {
			if _, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err == nil {
				return
			}
			if _, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("drop test database %s: %v", name, err)
	})
	u.Path = "/" + name
	return u.String()
}
