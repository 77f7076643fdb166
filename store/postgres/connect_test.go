package postgres

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestAConnectionAttemptIsBounded(t *testing.T) {
	cfg, err := poolConfig("postgres://jifen:not-a-secret@127.0.0.1:5/jifen", 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ConnConfig.ConnectTimeout; got != DefaultConnectTimeout {
		t.Errorf("connect timeout without connect_timeout = %v, want %v", got, DefaultConnectTimeout)
	}
	cfg, err = poolConfig("postgres://jifen:not-a-secret@127.0.0.1:5/jifen?connect_timeout=3", 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ConnConfig.ConnectTimeout; got != 3*time.Second {
		t.Errorf("connect timeout with connect_timeout=3 = %v, want 3s", got)
	}
}

// A server that accepts the connection and never answers (a proxy whose
// database is gone) fails Open once the attempt's time is up, rather than
// holding the command.
func TestOpenGivesUpOnASilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = Open(ctx, "postgres://jifen:not-a-secret@"+ln.Addr().String()+"/jifen?sslmode=disable&connect_timeout=1", Options{})
	if err == nil {
		t.Fatal("Open of a silent server succeeded")
	}
	if ctx.Err() != nil {
		t.Fatalf("Open waited for the test's own deadline: %v", err)
	}
	if strings.Contains(err.Error(), "not-a-secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}
