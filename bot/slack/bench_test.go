package slack

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkSlashCommandAck measures the acknowledgement path: a signed
// /award arrives over HTTP, is verified, parsed, checked against the rule
// catalog, written durably (fsync) and answered with Block Kit. It reports
// the median and 99th percentile of the round trip.
//
//	go test ./bot/slack -run '^$' -bench SlashCommandAck -count 5
func BenchmarkSlashCommandAck(b *testing.B) {
	h := newHarness(b)
	// Lift the per-receiver caps so that every command is a durable award,
	// not a refusal.
	for i := range h.cfg.Rules.Behaviors {
		h.cfg.Rules.Behaviors[i].Limits = nil
	}
	h.cfg.Rules.ReceiverLimits = nil
	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		form := commandForm(lina, "/award", "<@U0456EFGH|wangfang> 10 客户好评", fmt.Sprintf("bench.%d", i), "")
		req, _ := http.NewRequest("POST", h.srv.URL+"/slack/commands", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		stamp, sig := sign(form, time.Now())
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", sig)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.StopTimer()
	if n := h.st.EntryCount(); n != len(lat) {
		b.Fatalf("%d entries for %d commands", n, len(lat))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
