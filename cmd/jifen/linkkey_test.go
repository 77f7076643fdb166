package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"jifen/report"
)

// A running serve follows `jifen report revoke-links` run against the
// store it shares with other replicas: within linkKeyTTL a link given
// before is refused and the new links are signed with the new key.
func TestRunningServeFollowsRevokedLinks(t *testing.T) {
	m, a := openExample(t)
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now()
	keys := storeLinkKeys(a.store)
	keys.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	mux := http.NewServeMux()
	mux.Handle("GET /reports/{period}", m.reportHandler(a, keys, slog.New(slog.DiscardHandler)))
	get := func(key []byte) int {
		t.Helper()
		u, _ := url.Parse(report.Link("", key, "2026-10", time.Now()))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", u.String(), nil))
		return rec.Code
	}
	before, err := a.store.LinkKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code := get(before); code != http.StatusOK {
		t.Fatalf("a link with the store's key: %d", code)
	}
	// Another process (a replica, the command) revokes the links.
	if err := a.store.RotateLinkKey(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := a.store.LinkKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(linkKeyTTL)
	mu.Unlock()
	if code := get(before); code != http.StatusForbidden {
		t.Errorf("a revoked link answered %d, want %d", code, http.StatusForbidden)
	}
	if code := get(after); code != http.StatusOK {
		t.Errorf("a link with the new key answered %d", code)
	}
	if key, err := keys.get(ctx); err != nil || string(key) != string(after) {
		t.Errorf("new links are signed with %x (%v), want the new key", key, err)
	}
}
