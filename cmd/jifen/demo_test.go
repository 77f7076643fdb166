package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The round trip of a company's data: a demo year exported (ledger,
// members, ratings, KPIs) and imported into an empty store gives the same
// aggregates, byte for byte, and the same report.
func TestDemoExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := "../../config.example.yaml"
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	t.Setenv("JIFEN_STORE", a)
	out, errOut, code := run(t, "", "demo", "--config", cfg, "--members", "60")
	if code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	if !strings.Contains(out, "demo: 60 members") || !strings.Contains(out, "demo: filled "+a) ||
		!strings.Contains(out, "JIFEN_STORE="+shellQuote(a)+" jifen chat --config") || !strings.Contains(out, "JIFEN_STORE="+shellQuote(a)+" jifen report") {
		t.Errorf("demo said: %s", out)
	}
	// A second run refuses: the store holds data now.
	if _, errOut, code := run(t, "", "demo", "--config", cfg); code == 0 || !strings.Contains(errOut, "already holds data") {
		t.Errorf("demo on a full store: %d %s", code, errOut)
	}
	files := map[string]string{}
	for _, kind := range []string{"members", "ratings", "kpis", "ledger"} {
		files[kind] = filepath.Join(dir, kind+".csv")
		if _, errOut, code := run(t, "", "export", kind, "--config", cfg, "--format", "csv", "-o", files[kind]); code != 0 {
			t.Fatalf("export %s: %s", kind, errOut)
		}
	}
	reports := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, p := range []string{"2026", "2026-10", "2026-Q3"} {
			raw, errOut, code := run(t, "", "report", "--config", cfg, "--period", p, "--format", "json")
			if code != 0 {
				t.Fatalf("report %s: %s", p, errOut)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				t.Fatal(err)
			}
			out[p] = v
		}
		return out
	}
	before := reports()
	if s, _ := before["2026-10"]["surveys"].([]any); len(s) == 0 {
		t.Error("the demo's October report has no survey results")
	}
	if r, _ := before["2026-10"]["ratings"].(map[string]any); r == nil {
		t.Error("the demo's October report has no ratings")
	}

	t.Setenv("JIFEN_STORE", b)
	for _, kind := range []string{"members", "ratings", "kpis", "points"} {
		file := files[kind]
		if kind == "points" {
			file = files["ledger"]
		}
		if _, errOut, code := run(t, "", "import", kind, "--config", cfg, file); code != 0 {
			t.Fatalf("import %s: %s", kind, errOut)
		}
	}
	if out, errOut, code := run(t, "", "verify", "--config", cfg); code != 0 {
		t.Fatalf("verify: %s %s", out, errOut)
	}
	after := reports()
	for p := range before {
		// Survey answers are not ledger data: they leave with `jifen
		// export survey`, and the imported store has none.
		for _, r := range []map[string]any{before[p], after[p]} {
			delete(r, "surveys")
			delete(r, "recurring_comments")
			delete(r["coverage"].(map[string]any), "survey_rounds")
			var kept []any
			for _, sg := range r["suggestions"].([]any) {
				if k, _ := sg.(map[string]any)["kind"].(string); !strings.HasPrefix(k, "survey_") {
					kept = append(kept, sg)
				}
			}
			r["suggestions"] = kept
		}
		x, _ := json.MarshalIndent(before[p], "", " ")
		y, _ := json.MarshalIndent(after[p], "", " ")
		if !bytes.Equal(x, y) {
			for k := range before[p] {
				a, _ := json.Marshal(before[p][k])
				b, _ := json.Marshal(after[p][k])
				if !bytes.Equal(a, b) {
					t.Errorf("report %s: %s differs after the round trip:\n%s", p, k, firstDiff(string(a), string(b)))
				}
			}
		}
	}
	for _, bucket := range []string{"agg", "stock", "reversed", "members"} {
		da, db := dump(t, a, bucket), dump(t, b, bucket)
		if len(da) == 0 && bucket == "agg" {
			t.Fatal("no aggregates")
		}
		if da != db {
			t.Errorf("bucket %s differs after the round trip:\n%s", bucket, firstDiff(da, db))
		}
	}
}

// The same seed gives the same year.
func TestDemoIsSeeded(t *testing.T) {
	dir := t.TempDir()
	cfg := "../../config.example.yaml"
	var exports []string
	for i, seed := range []string{"7", "7", "8"} {
		t.Setenv("JIFEN_STORE", filepath.Join(dir, fmt.Sprintf("%d.db", i)))
		if _, errOut, code := run(t, "", "demo", "--config", cfg, "--members", "25", "--seed", seed); code != 0 {
			t.Fatal(errOut)
		}
		out, errOut, code := run(t, "", "export", "ledger", "--config", cfg, "--format", "csv")
		if code != 0 {
			t.Fatal(errOut)
		}
		exports = append(exports, out)
	}
	if exports[0] != exports[1] {
		t.Errorf("two runs with seed 7 differ:\n%s", firstDiff(exports[0], exports[1]))
	}
	if exports[0] == exports[2] {
		t.Error("seeds 7 and 8 gave the same year")
	}
}

func dump(t *testing.T, path, bucket string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
			fmt.Fprintf(&b, "%q = %x\n", k, v)
			return nil
		})
	})
	return b.String()
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}
