package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jifen"
)

// runAt runs jifen in-process with the clock at now.
func runAt(t *testing.T, now time.Time, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Clock: jifen.ClockFunc(func() time.Time { return now })}
	code = m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

// On 2026-11-29, `jifen report --period 2026-12` is a usage error naming
// the period and today's date; 2026 is reported as of today.
func TestReportPeriodNotBegun(t *testing.T) {
	t.Setenv("JIFEN_STORE", filepath.Join(t.TempDir(), "jifen.db"))
	now := time.Date(2026, 11, 29, 4, 45, 0, 0, time.UTC)
	cfg := "../../config.example.yaml"
	for _, p := range []string{"2026-12", "2027-Q1"} {
		_, errOut, code := runAt(t, now, "report", "--config", cfg, "--period", p)
		if code != 2 || !strings.Contains(errOut, "--period "+p) || !strings.Contains(errOut, "2026-11-29") {
			t.Errorf("%s: %d %s", p, code, errOut)
		}
	}
	if _, errOut, code := runAt(t, now, "report", "--config", cfg, "--period", "2026-W48"); code != 2 || !strings.Contains(errOut, "2026-W48") {
		t.Errorf("a week: %d %s", code, errOut)
	}
	out, errOut, code := runAt(t, now, "report", "--config", cfg, "--period", "2026", "--format", "json")
	if code != 0 {
		t.Fatalf("2026: %d %s", code, errOut)
	}
	var s struct {
		AsOf       time.Time `json:"as_of"`
		Complete   bool
		Months     int
		Comparison struct {
			Comparable bool
			Reason     string
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if !s.AsOf.Equal(now) || s.Complete || s.Months != 11 || s.Comparison.Comparable || s.Comparison.Reason != "no_data" {
		t.Fatalf("2026: %+v", s)
	}
	if out, _, _ := runAt(t, now, "report", "--config", cfg, "--period", "2026"); !strings.Contains(out, "截至 2026-11-29") {
		t.Fatalf("md: %s", out)
	}
}
