package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jifen/report"
	"jifen/store/storetest"
)

// A report page whose store could not be read answers 500, not a report
// of what the failed read answered.
func TestReportPageOfAFailedReadIsAnError(t *testing.T) {
	m, a := openExample(t)
	key := []byte("fake-link-key-for-tests-0123456789")
	u, _ := url.Parse(report.Link("", key, "2026-10", time.Now()))
	for _, c := range []struct {
		name string
		a    *app
		want int
	}{{"reads", a, http.StatusOK}, {"fails", &app{cfg: a.cfg, store: &storetest.LostReads{Ledger: a.store}, bot: a.bot}, http.StatusInternalServerError}} {
		mux := http.NewServeMux()
		mux.Handle("GET /reports/{period}", m.reportHandler(c.a, fixedLinkKey(key), slog.New(slog.DiscardHandler)))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", u.String(), nil))
		if rec.Code != c.want {
			t.Errorf("a store that %s: %d, want %d", c.name, rec.Code, c.want)
		}
	}
}

// A backup of a store that is not a bbolt file says what to use instead,
// and writes no file.
func TestBackupOfAStoreThatIsNotAFileSaysWhatToUse(t *testing.T) {
	clock := &settableClock{}
	clock.set(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	a := scheduledApp(t, clock)
	dir := t.TempDir()
	if _, err := backupTo(a.store, filepath.Join(dir, "bbolt.db")); err != nil {
		t.Fatalf("bbolt: %v", err)
	}
	other := filepath.Join(dir, "other.db")
	_, err := backupTo(&storetest.LostReads{Ledger: a.store}, other)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("a store that is not a file: %v, want what to use instead", err)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a backup file was written: %v", err)
	}
}
