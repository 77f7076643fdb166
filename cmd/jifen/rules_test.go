package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jifen/simulate"
)

// The demo year simulated under its own catalog gives exactly what
// happened, and what happened is the report's figures. Bad input is refused
// with a clear message.
func TestRulesSimulateDemoYear(t *testing.T) {
	dir := t.TempDir()
	cfg := "../../config.example.yaml"
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "demo.db"))
	if _, errOut, code := run(t, "", "demo", "--config", cfg, "--members", "60"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	for _, period := range []string{"2026", "2026-10", "2026-Q3"} {
		raw, errOut, code := run(t, "", "rules", "simulate", "--config", cfg, "--catalog", cfg, "--period", period, "--format", "json")
		if code != 0 {
			t.Fatalf("simulate %s: %s", period, errOut)
		}
		var res simulate.Result
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			t.Fatal(err)
		}
		if res.Effect != (simulate.Effect{}) || len(res.CapsHit) != 0 || len(res.Removed) != 0 || len(res.Changes) != 0 {
			t.Errorf("%s: the same catalog changed something: %+v caps %d removed %+v changes %+v", period, res.Effect, len(res.CapsHit), res.Removed, res.Changes)
		}
		same := func(what string, p simulate.Pair) {
			if p.Actual != p.Simulated {
				t.Errorf("%s %s: %+v", period, what, p)
			}
		}
		same("net", res.Totals.Net)
		same("awarded", res.Totals.Awarded)
		same("deducted", res.Totals.Deducted)
		same("entries", res.Totals.Entries)
		for _, l := range res.ByCategory {
			same(l.ID, l.Pair)
		}
		for _, g := range append(res.ByDepartment, res.ByRole...) {
			same(g.Name, g.Pair)
			if g.ActualPerHead != g.SimulatedPerHead {
				t.Errorf("%s %s per head: %+v", period, g.Name, g)
			}
		}
		for _, m := range res.Ranks {
			same(m.ID, m.Pair)
			if m.ActualRank != m.SimulatedRank || m.Change != 0 {
				t.Errorf("%s %s rank: %+v", period, m.ID, m)
			}
		}
		if res.Spread.Departments.Actual.Gap != res.Spread.Departments.Simulated.Gap {
			t.Errorf("%s spread %+v", period, res.Spread)
		}

		// What happened is what the report says.
		raw, errOut, code = run(t, "", "report", "--config", cfg, "--period", period, "--format", "json")
		if code != 0 {
			t.Fatalf("report %s: %s", period, errOut)
		}
		var rep struct {
			Members int
			Points  struct {
				Awarded, Deducted, Net int64
				Entries                int
				ByCategory             []struct {
					ID     string
					Points int64
				} `json:"by_category"`
			}
			Departments []struct {
				Name    string
				Members int
				Total   int64
				Average float64
			}
		}
		if err := json.Unmarshal([]byte(raw), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Members != res.Members || rep.Points.Net != res.Totals.Net.Actual || rep.Points.Awarded != res.Totals.Awarded.Actual ||
			rep.Points.Deducted != res.Totals.Deducted.Actual || int64(rep.Points.Entries) != res.Totals.Entries.Actual {
			t.Errorf("%s: report %+v, simulation %d %+v", period, rep.Points, res.Members, res.Totals)
		}
		cats := map[string]int64{}
		for _, l := range res.ByCategory {
			cats[l.ID] = l.Actual
		}
		for _, c := range rep.Points.ByCategory {
			if cats[c.ID] != c.Points {
				t.Errorf("%s category %s: report %d, simulation %d", period, c.ID, c.Points, cats[c.ID])
			}
		}
		if len(rep.Departments) != len(res.ByDepartment) {
			t.Fatalf("%s: %d departments in the report, %d simulated", period, len(rep.Departments), len(res.ByDepartment))
		}
		for i, d := range rep.Departments {
			g := res.ByDepartment[i]
			if d.Name != g.Name || d.Members != g.Members || d.Total != g.Actual || d.Average != g.ActualPerHead {
				t.Errorf("%s: report %+v, simulation %+v", period, d, g)
			}
		}
	}

	// Markdown and HTML render.
	for _, f := range []string{"md", "html"} {
		out, errOut, code := run(t, "", "rules", "simulate", "--config", cfg, "--catalog", cfg, "--period", "2026-10", "--format", f)
		if code != 0 || !strings.Contains(out, "规则模拟 2026-10") || !strings.Contains(out, "各部门积分") {
			t.Errorf("%s: %d %s\n%s", f, code, errOut, out)
		}
		if f == "html" && (strings.Contains(out, "<script") || !strings.HasPrefix(out, "<!DOCTYPE html>")) {
			t.Errorf("html: %s", out[:200])
		}
	}

	// Bad input.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  categories:\n    - id: Sales\n      name: x\n      behaviors: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notYAML := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(notYAML, []byte("rules: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noRules := filepath.Join(dir, "norules.yaml")
	if err := os.WriteFile(noRules, []byte("timezone: Asia/Shanghai\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown period", []string{"--catalog", cfg, "--period", "2026-13"}, `--period "2026-13"`},
		{"not begun", []string{"--catalog", cfg, "--period", "2027"}, "2027"},
		{"a week", []string{"--catalog", cfg, "--period", "2026-W10"}, "2026-W10"},
		{"no period", []string{"--catalog", cfg}, "--period is required"},
		{"no catalog", []string{"--period", "2026"}, "--catalog is required"},
		{"missing file", []string{"--catalog", filepath.Join(dir, "nope.yaml"), "--period", "2026"}, "nope.yaml"},
		{"catalog does not decode", []string{"--catalog", bad, "--period", "2026"}, "an id is lower-case"},
		{"not YAML", []string{"--catalog", notYAML, "--period", "2026"}, "broken.yaml:"},
		{"no rules section", []string{"--catalog", noRules, "--period", "2026"}, "rules: required"},
		{"bad format", []string{"--catalog", cfg, "--period", "2026", "--format", "xlsx"}, `--format "xlsx"`},
	} {
		_, errOut, code := run(t, "", append([]string{"rules", "simulate", "--config", cfg}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want %q", c.name, code, errOut, c.want)
		}
	}
}
