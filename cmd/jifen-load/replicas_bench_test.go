//go:build replicas

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"jifen/config"
	"jifen/store/pgtest"
	"jifen/store/postgres"
)

// The replicas benchmark measures end to end, through signed requests:
// durable awards per second with 64 requests in flight over one and over
// three replicas on PostgreSQL, and the acknowledgement latency at a
// steady 500 requests a second over three replicas; one replica on bbolt
// is the baseline, measured in the same run. Give it a PostgreSQL server
// with fsync on:
//
//	JIFEN_TEST_POSTGRES=postgres://… scripts/replica-test.sh -replicas.bench
var (
	replicaBench  = flag.Bool("replicas.bench", false, "measure (TestReplicasBench) instead of testing")
	benchRuns     = flag.Int("replicas.bench.runs", 3, "runs of each measurement; the table shows their median")
	benchAwards   = flag.Int("replicas.bench.awards", 3000, "awards per throughput run")
	benchRate     = flag.Float64("replicas.bench.rate", 500, "requests per second of the latency runs")
	benchDuration = flag.Duration("replicas.bench.duration", 10*time.Second, "how long each latency run sends")
	benchGivers   = flag.Int("replicas.bench.givers", 200, "admins added to the example's two to give the awards (0: the example's two admins give every award)")
	benchMembers  = flag.Int("replicas.bench.members", 2000, "employees added to the example's to receive the awards and ask for their scores")
)

// benchSetup is one way of running serve: a store and a number of
// replicas.
type benchSetup struct {
	name     string
	urls     []string
	perSec   []float64       // throughput runs: acknowledged awards per second
	p50, p99 []time.Duration // latency runs
	errs     int
}

func TestReplicasBench(t *testing.T) {
	if !*replicaBench {
		t.Skip("a measurement: run with -replicas.bench")
	}
	bin := t.TempDir()
	build(t, filepath.Join(bin, "jifen"), "../jifen")
	jifenBin := filepath.Join(bin, "jifen")
	fake := NewFakePlatforms()
	fs := httptest.NewServer(fake)
	defer fs.Close()
	base := os.Environ()
	for k, v := range fakeEnv {
		base = append(base, k+"="+v)
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	// The givers and the receivers: awards by one giver, or to one
	// receiver, are written one at a time (the giver's allowance, the
	// receiver's caps), so a handful of members for all the awards
	// measures that, not the store. The defaults are a company of about
	// 2,000 with one giver in ten, as the store's own benchmarks have.
	var givers strings.Builder
	for i := 1; i <= *benchGivers; i++ {
		fmt.Fprintf(&givers, "  - id: giver%03d\n    name: 给分人%03d\n    department: 总经办\n    role: admin\n    joined: 2020-01-01\n    slack_id: U0GIVE%04d\n    feishu_open_id: ou_bench_giver_%016d\n", i, i, i, i)
	}
	depts := []string{"销售部", "客服部", "研发部", "生产部"}
	for i := 1; i <= *benchMembers; i++ {
		fmt.Fprintf(&givers, "  - id: empl%05d\n    name: 员工%05d\n    department: %s\n    role: employee\n    joined: 2021-01-01\n    slack_id: U0EMPL%05d\n    feishu_open_id: ou_bench_empl_%016d\n", i, i, depts[i%len(depts)], i, i)
	}
	limits := slices.Concat(noReceiverLimits, bigAllowance, []string{"  - id: jifen_bot\n", givers.String() + "  - id: jifen_bot\n"})
	pg := slices.Concat(limits, onPostgres)

	var cfg *config.Config
	var servers int
	start := func(name string, n int, replace []string, env []string) *benchSetup {
		s := &benchSetup{name: name}
		for range n {
			servers++
			addr := freeAddr(t)
			sdir := filepath.Join(dir, fmt.Sprintf("serve-%d", servers))
			if err := os.Mkdir(sdir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := writeConfig(t, sdir, fs.URL, addr, replace...)
			cmd := startJifen(t, jifenBin, path, env, filepath.Join(sdir, "serve.log"), addr)
			t.Cleanup(func() { stopJifen(t, cmd) })
			s.urls = append(s.urls, "http://"+addr)
			if cfg == nil {
				c, err := config.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				cfg = c
			}
		}
		return s
	}
	boltEnv := append(slices.Clone(base), "JIFEN_STORE="+filepath.Join(dir, "jifen.db"), "JIFEN_BACKUP_DIR="+filepath.Join(dir, "backups"))
	key := "JIFEN_ANSWER_KEY=bench-answer-key-0123456789abcdef0123456789"
	setups := []*benchSetup{
		start("bbolt, 1 replica", 1, limits, boltEnv),
		start("PostgreSQL, 1 replica", 1, pg, append(slices.Clone(base), "DATABASE_URL="+pgtest.DB(t), key)),
		start("PostgreSQL, 3 replicas", 3, pg, append(slices.Clone(base), "DATABASE_URL="+pgtest.DB(t), key)),
		floorSetup(t, 3),
	}

	awardMix, err := ParseMix("award=1")
	if err != nil {
		t.Fatal(err)
	}
	defaultMix, err := ParseMix("award=60,score=25,leaderboard=15")
	if err != nil {
		t.Fatal(err)
	}
	// The runs take turns, so that the machine's other work weighs on
	// each setup alike.
	for run := range *benchRuns {
		for _, s := range setups {
			w, err := NewWorkload(cfg, fmt.Sprintf("t%d%d", run, len(s.perSec)+10*len(s.urls)), "mixed", "", awardMix)
			if err != nil {
				t.Fatal(err)
			}
			g := runLoadIn(t, cfg, Options{URLs: s.urls, Workload: w, Count: int64(*benchAwards), Concurrency: 64, Timeout: 10 * time.Second, Seed: rand.Uint64()})
			acked := 0
			for _, a := range g.Awards() {
				if a.Status == Applied || a.Status == Acked {
					acked++
				}
			}
			st := g.Stats()
			s.perSec = append(s.perSec, float64(acked)/st.end.Sub(st.start).Seconds())
			s.errs += st.Errors()
			var rep bytes.Buffer
			st.Report(&rep, g.Awards())
			t.Logf("%s, throughput run %d: %d awards acknowledged\n%s", s.name, run+1, acked, rep.String())
		}
	}
	for run := range *benchRuns {
		for _, s := range setups {
			w, err := NewWorkload(cfg, fmt.Sprintf("l%d%d", run, len(s.p99)+10*len(s.urls)), "mixed", "", defaultMix)
			if err != nil {
				t.Fatal(err)
			}
			g := runLoadIn(t, cfg, Options{URLs: s.urls, Workload: w, Rate: *benchRate, Duration: *benchDuration, Concurrency: 64,
				Timeout: 10 * time.Second, Seed: rand.Uint64()})
			st := g.Stats()
			p50, _, p99, _ := st.Latency()
			s.p50, s.p99 = append(s.p50, p50), append(s.p99, p99)
			s.errs += st.Errors()
			var rep bytes.Buffer
			st.Report(&rep, g.Awards())
			t.Logf("%s, latency run %d:\n%s", s.name, run+1, rep.String())
		}
	}

	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "setup\tawards/s, 64 in flight (median)\truns\tack p50 at %g/s\tack p99 at %g/s (median)\truns (p99)\terrors\t\n", *benchRate, *benchRate)
	for _, s := range setups {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", s.name, median(s.perSec), joinf(s.perSec, "%.0f"), round(median(s.p50)), round(median(s.p99)),
			joinf(s.p99, "%v"), s.errs)
	}
	tw.Flush()
	t.Logf("replicas benchmark (%d runs each; %d awards per throughput run by %d givers to %d members, mixed Slack and Feishu; latency: %g requests/s for %s, award=60,score=25,leaderboard=15):\n%s",
		*benchRuns, *benchAwards, 2+*benchGivers, len(cfg.Members), *benchRate, *benchDuration, b.String())
}

// floorSetup starts n HTTP servers, each with connections of its own to
// a fresh database of the store's schema, that answer every delivery
// after one transaction inserting an entry: an acknowledged award's
// durable write with no application code (no signature, no member, no
// limit, no key, no reply queued), the floor the replicas are measured
// against in the same run. A slash command is answered with its text,
// which the generator takes for the award's announcement.
func floorSetup(t *testing.T, n int) *benchSetup {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.DB(t)
	st, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	s := &benchSetup{name: fmt.Sprintf("floor: an insert per request, %d servers", n)}
	for range n {
		pool, err := pgxpool.New(ctx, dbURL+"&pool_max_conns="+fmt.Sprint((64+n-1)/n))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "unread", http.StatusBadRequest)
				return
			}
			if _, err := pool.Exec(r.Context(), `INSERT INTO entries (kind, at, effective, giver, receiver, points,
				category, behavior, reason) VALUES ('award', now(), now(), 'floor', 'floor', 10, 'floor', 'floor', 'floor')`); err != nil {
				http.Error(w, "not written", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			answer := map[string]string{}
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("command") != "" {
				answer["text"] = form.Get("text")
			}
			_ = json.NewEncoder(w).Encode(answer)
		}))
		t.Cleanup(srv.Close)
		s.urls = append(s.urls, srv.URL)
	}
	return s
}

func median[T float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func joinf[T any](xs []T, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		if d, ok := any(x).(time.Duration); ok {
			parts[i] = round(d)
			continue
		}
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}
