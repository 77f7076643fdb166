package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetrics(t *testing.T) {
	m := New(func() float64 { return 3 })
	h := m.Wrap("/slack/commands", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("case") {
		case "bad":
			http.Error(w, "invalid signature", http.StatusUnauthorized)
		case "big":
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case "json":
			http.Error(w, "malformed", http.StatusBadRequest)
		default:
			_, _ = io.WriteString(w, "ok") // an implicit 200
		}
	}))
	for _, c := range []string{"", "", "bad", "big", "json"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/slack/commands?case="+c, nil))
	}
	m.Command("slack", "award", "ok")
	m.Command("feishu", "award", "limit")
	m.Committed(7, 3*time.Millisecond)
	m.Scheduled("weekly_leaderboard", nil)
	m.Scheduled("nightly_backup", errors.New("disk full"))
	m.PlatformConnected("slack", func() bool { return true })
	m.PlatformConnected("feishu", func() bool { return false })
	m.StoreReady(func() bool { return true })
	m.SchedulerTicked(time.Unix(1764550800, 0))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`jifen_http_requests_total{code="200",endpoint="/slack/commands"} 2`,
		`jifen_ack_seconds_count{endpoint="/slack/commands"} 5`,
		`jifen_rejected_requests_total{endpoint="/slack/commands",reason="unauthorized"} 1`,
		`jifen_rejected_requests_total{endpoint="/slack/commands",reason="too_large"} 1`,
		`jifen_rejected_requests_total{endpoint="/slack/commands",reason="malformed"} 1`,
		`jifen_commands_total{command="award",outcome="limit",platform="feishu"} 1`,
		`jifen_store_batch_size_bucket{le="8"} 1`,
		`jifen_store_batch_size_bucket{le="4"} 0`,
		`jifen_store_commit_seconds_bucket{le="0.0025"} 0`,
		`jifen_store_commit_seconds_bucket{le="0.005"} 1`,
		`jifen_scheduler_runs_total{job="nightly_backup",outcome="failed"} 1`,
		`jifen_scheduler_runs_total{job="weekly_leaderboard",outcome="ok"} 1`,
		`jifen_pending_approvals 3`,
		`jifen_platform_connected{platform="slack"} 1`,
		`jifen_platform_connected{platform="feishu"} 0`,
		`jifen_store_ready 1`,
		`jifen_scheduler_last_tick_timestamp_seconds 1.7645508e+09`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
}
