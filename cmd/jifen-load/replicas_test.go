//go:build replicas

// The replicas test: three `jifen serve` replicas on one PostgreSQL
// database, the load spread over them and every re-delivery sent to
// another replica than the first. It checks that
//
//   - with one replica killed (SIGKILL) in the middle of a load and
//     restarted, at several points, every acknowledged award is in the
//     ledger exactly once;
//   - 64 concurrent awards at one receiver whose cap allows three apply
//     exactly three, and the others are refused with the cap's message;
//   - 40 concurrent redemptions of an item with two in stock, by 40
//     members, redeem exactly two;
//   - a scheduled leaderboard due while all three run is posted once on
//     each platform;
//   - `jifen verify` is clean.
//
// It needs a PostgreSQL server (JIFEN_TEST_POSTGRES, as store/pgtest) and
// takes a few minutes, so it runs only with the build tag:
//
//	go test -tags replicas -run TestReplicas -v ./cmd/jifen-load/
//	scripts/replica-test.sh -replicas.points 3
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"jifen"
	"jifen/config"
	"jifen/locale"
	"jifen/store/pgtest"
)

var (
	replicaPoints   = flag.Int("replicas.points", 3, "how many kill points (a load each, one replica killed in it)")
	replicaSeed     = flag.Uint64("replicas.seed", 0, "seed for the kill points and the loads (default: random, printed)")
	replicaRate     = flag.Float64("replicas.rate", 300, "deliveries per second during each load, over the three replicas")
	replicaDuration = flag.Duration("replicas.duration", 4*time.Second, "how long each load sends")
)

const (
	nReplicas   = 3
	cfgTimezone = "Asia/Shanghai" // the example config's
	// The capped burst: 客户好评 is limited to three a month per receiver
	// in the example config.
	capBehavior, capReceiver, capTimes, capBurst = "客户好评", "王芳", 3, 64
	// The stock burst: an item with two in stock, redeemed by as many
	// members as redemptions.
	stockItemID, stockItemName, stockUnits, stockBurst, stockCost = "replica_badge", "纪念徽章", 2, 40, 20
	// Where the scheduled leaderboard is posted.
	scheduleChannel, scheduleChat = "C0REPLICA01", "oc_jifen_replica_schedule_chat"
)

// replicaResult is one kill point's outcome.
type replicaResult struct {
	killAt                      time.Duration
	victim                      int
	acked, found, lost, doubled int
	redelivered, elsewhere      int // acked awards answered more than once; answers from another replica than the first
	sameReplica                 int // re-deliveries answered by the first replica: must be 0
	uncertain, uncertainIn      int
	resent                      int
}

// burstResult is what became of a concurrent burst.
type burstResult struct {
	sent, applied, refused, other, inLedger int
	otherText                               string
	byReplica                               [nReplicas]int
}

func TestReplicas(t *testing.T) {
	if *replicaBench {
		t.Skip("-replicas.bench measures only")
	}
	dbURL := pgtest.DB(t)
	seed := *replicaSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("replicas test: seed %d (-replicas.seed %d repeats the kill points), %d points, %g deliveries/s for %s over %d replicas",
		seed, seed, *replicaPoints, *replicaRate, *replicaDuration, nReplicas)
	r := rand.New(rand.NewPCG(seed, 2))
	bin := t.TempDir()
	build(t, filepath.Join(bin, "jifen"), "../jifen")
	build(t, filepath.Join(bin, "jifen-load"), ".")
	jifenBin, load := filepath.Join(bin, "jifen"), filepath.Join(bin, "jifen-load")
	fake := NewFakePlatforms()
	fs := httptest.NewServer(fake)
	defer fs.Close()

	env := append(os.Environ(), "DATABASE_URL="+dbURL, "JIFEN_ANSWER_KEY=replica-test-answer-key-0123456789abcdef0123")
	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("JIFEN_ANSWER_KEY", "replica-test-answer-key-0123456789abcdef0123")
	for k, v := range fakeEnv {
		env = append(env, k+"="+v)
		t.Setenv(k, v)
	}

	// The scheduled leaderboard is due at the first whole minute at least
	// 40 s away: after the replicas are up and the bursts are done.
	loc, err := time.LoadLocation(cfgTimezone)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(40 * time.Second).In(loc).Truncate(time.Minute).Add(time.Minute)
	cron := fmt.Sprintf("%d %d %d %d *", due.Minute(), due.Hour(), due.Day(), int(due.Month()))

	// One config per replica, the same but for http.listen.
	// The files stay when the test fails.
	dir, err := os.MkdirTemp("", "jifen-replicas-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	var addrs, urls, cfgs []string
	for i := range nReplicas {
		addrs = append(addrs, freeAddr(t))
		urls = append(urls, "http://"+addrs[i])
		rdir := filepath.Join(dir, fmt.Sprintf("replica-%d", i))
		if err := os.Mkdir(rdir, 0o700); err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, writeConfig(t, rdir, fs.URL, addrs[i], replicaConfig(cron)...))
	}
	cfg, err := config.Load(cfgs[0])
	if err != nil {
		t.Fatal(err)
	}

	// The redeemers' points, imported before the replicas start.
	var pts bytes.Buffer
	pts.WriteString("时间,获得人,积分,行为\n")
	today := time.Now().In(loc).Format("2006-01-02")
	for i := 1; i <= stockBurst; i++ {
		fmt.Fprintf(&pts, "%s,副本%02d,30,签单\n", today, i)
	}
	ptsPath := filepath.Join(dir, "points.csv")
	if err := os.WriteFile(ptsPath, pts.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := command(env, jifenBin, "import", "points", "--config", cfgs[0], ptsPath); err != nil {
		t.Fatalf("import points: %v\n%s", err, out)
	}

	servers := make([]*exec.Cmd, nReplicas)
	starts := make([]int, nReplicas)
	start := func(i int) {
		starts[i]++
		servers[i] = startJifen(t, jifenBin, cfgs[i], env, filepath.Join(dir, fmt.Sprintf("serve-%d-%d.log", i, starts[i])), addrs[i])
	}
	for i := range nReplicas {
		start(i)
	}

	// The capped receiver: 64 concurrent awards over the three replicas.
	to, ok := cfg.Member(capReceiver)
	if !ok {
		t.Fatalf("no member %s", capReceiver)
	}
	capOut := burst(t, cfg, urls, fake, "cap", "award=1", capBehavior, capBurst, func(w *Workload) { w.To = &to },
		func(d Delivery) string { return d.Token },
		locale.T(cfg.Language, "err.behavior_times", capBehavior, to.Name, capTimes, jifen.Month))
	// The stock: 40 concurrent redemptions by 40 members.
	item := cfg.Rules.Reward(stockItemID)
	if item == nil {
		t.Fatalf("no item %s", stockItemID)
	}
	done, _, _ := strings.Cut(locale.T(cfg.Language, "redeem.done", item.Name), "\n")
	stockOut := burst(t, cfg, urls, fake, "stock", "redeem=1", "", stockBurst, func(w *Workload) {
		w.Reward = item
		// The redeemers: the members with points, and platform ids.
		for _, p := range w.Platforms {
			w.callers[p] = slices.DeleteFunc(w.callers[p], func(m jifen.Member) bool { return !strings.HasPrefix(m.ID, "replica") })
		}
	}, func(Delivery) string { return done }, locale.T(cfg.Language, "err.out_of_stock", item.Name, 0))

	// The scheduled post, due while all three run: once every replica has
	// looked after the due time (they look every 30 s), it must have been
	// posted exactly once on each platform.
	t.Logf("waiting for the scheduled leaderboard due at %s", due.Format("15:04:05 MST"))
	time.Sleep(time.Until(due.Add(35 * time.Second)))
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		feishuTo, slackTo, _ := fake.Delivered()
		if feishuTo[scheduleChat] > 0 && slackTo[scheduleChannel] > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	feishuTo, slackTo, _ := fake.Delivered()
	postsSlack, postsFeishu := slackTo[scheduleChannel], feishuTo[scheduleChat]

	// The kill points: in each load, one replica in turn is killed and
	// restarted.
	var results []replicaResult
	type runFiles struct{ sent, acked1, acked2 string }
	var files []runFiles
	for i := range *replicaPoints {
		// Spread the kill points over the load, each at a random place in
		// its own slice of it.
		slice := *replicaDuration / time.Duration(*replicaPoints)
		killAt := time.Duration(i)*slice + time.Duration(r.Int64N(int64(slice)))
		victim := i % nReplicas
		res := replicaResult{killAt: killAt, victim: victim}
		run := fmt.Sprintf("k%d", i)
		f := runFiles{filepath.Join(dir, run+"-sent.jsonl"), filepath.Join(dir, run+"-acked-1.tsv"), filepath.Join(dir, run+"-acked-2.tsv")}
		var loadOut bytes.Buffer
		gen := exec.Command(load, "--url", strings.Join(urls, ","), "--config", cfgs[0], "--rate", fmt.Sprint(*replicaRate),
			"--duration", replicaDuration.String(), "--concurrency", "32", "--retry-share", "0.1", "--retry-for", "30s", "--timeout", "5s",
			"--platform", "mixed", "--run", run, "--seed", strconv.FormatUint(r.Uint64(), 10), "--acked", f.acked1, "--sent", f.sent)
		gen.Env, gen.Stdout, gen.Stderr = env, &loadOut, &loadOut
		if err := gen.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(killAt)
		// SIGKILL: no shutdown, no flush; its sessions end with it.
		if err := servers[victim].Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = servers[victim].Wait()
		time.Sleep(300 * time.Millisecond)
		start(victim)
		if err := gen.Wait(); err != nil {
			t.Fatalf("load: %v\n%s", err, loadOut.String())
		}
		t.Logf("load %s, replica %d killed at %s:\n%s", run, victim, killAt, loadOut.String())

		// Re-deliver every award that got no answer, and every third one
		// that did, each to another replica than its first.
		first, err := readFile(f.acked1, ReadAcked)
		if err != nil {
			t.Fatal(err)
		}
		resendPath := filepath.Join(dir, run+"-resend.jsonl")
		res.resent = writeResend(t, first, f.sent, resendPath)
		out, err := command(env, load, "--url", strings.Join(urls, ","), "--config", cfgs[0], "--resend", resendPath,
			"--concurrency", "16", "--retry-share", "0.1", "--retry-for", "10s", "--acked", f.acked2)
		if err != nil {
			t.Fatalf("resend: %v\n%s", err, out)
		}
		t.Logf("re-delivery of %d awards of %s:\n%s", res.resent, run, out)
		results = append(results, res)
		files = append(files, f)
	}

	// A restarted replica must not post the schedule again: look once
	// more, after the last restart's first look.
	time.Sleep(time.Until(due.Add(35 * time.Second)))
	feishuTo, slackTo, _ = fake.Delivered()
	postsSlack, postsFeishu = max(postsSlack, slackTo[scheduleChannel]), max(postsFeishu, feishuTo[scheduleChat])

	for i := range nReplicas {
		stopJifen(t, servers[i])
	}
	ledgerPath := filepath.Join(dir, "ledger.csv")
	if out, err := command(env, jifenBin, "export", "ledger", "--config", cfgs[0], "--format", "csv", "-o", ledgerPath); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	verify := "ok"
	if out, err := command(env, jifenBin, "verify", "--config", cfgs[0]); err != nil || !strings.Contains(out, "verify: ok") {
		verify = "FAILED"
		t.Errorf("verify: %v\n%s", err, out)
	}
	ledger, err := readFile(ledgerPath, LedgerTokens)
	if err != nil {
		t.Fatal(err)
	}
	redeemed, err := readFile(ledgerPath, redemptions)
	if err != nil {
		t.Fatal(err)
	}

	var sum replicaResult
	for i, f := range files {
		res := &results[i]
		first, err := readFile(f.acked1, ReadAcked)
		if err != nil {
			t.Fatal(err)
		}
		second, err := readFile(f.acked2, ReadAcked)
		if err != nil {
			t.Fatal(err)
		}
		deliveries, err := readFile(f.sent, ReadDeliveries)
		if err != nil {
			t.Fatal(err)
		}
		firstOf := map[string]int{}
		for _, d := range deliveries {
			firstOf[d.Token] = d.Replica
		}
		for k, run := range [][]AckedAward{first, second} {
			for _, a := range run {
				same := 0
				for _, rep := range a.Replicas {
					if rep == firstOf[a.Token] {
						same++
					} else {
						res.elsewhere++
					}
				}
				if k == 0 {
					same-- // the first delivery's own answer
				}
				res.sameReplica += max(same, 0)
			}
		}
		c := CheckLedger([][]AckedAward{first, second}, ledger)
		var rep bytes.Buffer
		c.Report(&rep)
		t.Logf("kill point %d: %s", i, rep.String())
		res.acked, res.found, res.lost, res.doubled = c.Acked, c.Found, len(c.Lost), len(c.Doubled)
		res.redelivered, res.uncertain, res.uncertainIn = c.Redelivered, c.Uncertain, c.UncertainIn
		answeredBy := map[string][]int{}
		for _, a := range slices.Concat(first, second) {
			answeredBy[a.Token] = append(answeredBy[a.Token], a.Replicas...)
		}
		for _, tok := range c.Lost {
			for _, d := range deliveries {
				if d.Token == tok {
					t.Logf("lost %s: %s from %s: %q %v, first to replica %d, answered by %v, Feishu replies naming it %d",
						tok, d.Platform, d.User, d.Text, d.Mentions, d.Replica, answeredBy[tok], fake.FeishuReplied(tok))
				}
			}
		}
		if !c.OK() || c.Acked == 0 {
			t.Errorf("kill point %d (replica %d at %s): %d acknowledged, %d lost, %d doubled, %d refused but applied; files in %s",
				i, res.victim, res.killAt, c.Acked, len(c.Lost), len(c.Doubled), len(c.RefusedIn), dir)
		}
		if res.sameReplica > 0 {
			t.Errorf("kill point %d: %d re-deliveries answered by their first replica", i, res.sameReplica)
		}
		sum.acked += res.acked
		sum.found += res.found
		sum.lost += res.lost
		sum.doubled += res.doubled
		sum.redelivered += res.redelivered
		sum.elsewhere += res.elsewhere
		sum.sameReplica += res.sameReplica
		sum.uncertain += res.uncertain
		sum.uncertainIn += res.uncertainIn
		sum.resent += res.resent
	}
	for tok, n := range ledger {
		if strings.HasPrefix(tok, "ld-cap-") {
			capOut.inLedger += n
		}
	}
	stockOut.inLedger = redeemed

	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kill at\treplica\tacked awards\tfound once\tlost\tdoubled\tre-delivered\tanswers from another replica\tsame replica\tresent\tuncertain (in ledger)\t")
	for _, x := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d (%d)\t\n", x.killAt.Round(time.Millisecond), x.victim, x.acked, x.found,
			x.lost, x.doubled, x.redelivered, x.elsewhere, x.sameReplica, x.resent, x.uncertain, x.uncertainIn)
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d (%d)\t\n", sum.acked, sum.found, sum.lost, sum.doubled, sum.redelivered,
		sum.elsewhere, sum.sameReplica, sum.resent, sum.uncertain, sum.uncertainIn)
	tw.Flush()
	fmt.Fprintf(&b, "cap: %d concurrent awards of %s to %s (at most %d a month), answered by replica %v: %d applied, %d refused with the cap message, %d other; in the ledger %d (want %d)\n",
		capOut.sent, capBehavior, capReceiver, capTimes, capOut.byReplica, capOut.applied, capOut.refused, capOut.other, capOut.inLedger, capTimes)
	fmt.Fprintf(&b, "stock: %d concurrent redemptions of %s (stock %d) by %d members, answered by replica %v: %d redeemed, %d refused out of stock, %d other; in the ledger %d (want %d)\n",
		stockOut.sent, stockItemName, stockUnits, stockBurst, stockOut.byReplica, stockOut.applied, stockOut.refused, stockOut.other, stockOut.inLedger, stockUnits)
	fmt.Fprintf(&b, "schedule: leaderboard due %s with all three up: posted %d on Slack, %d on Feishu (want 1 and 1)\n", due.Format("15:04 MST"), postsSlack, postsFeishu)
	fmt.Fprintf(&b, "verify: %s\n", verify)
	t.Logf("replicas test summary (seed %d):\n%s", seed, b.String())

	for _, x := range []struct {
		what string
		r    burstResult
		want int
	}{{"cap", capOut, capTimes}, {"stock", stockOut, stockUnits}} {
		if x.r.inLedger != x.want || x.r.applied != x.want || x.r.refused != x.r.sent-x.want {
			t.Errorf("%s: %d in the ledger, %d answered as applied, %d refused as expected of %d, want %d applied (other answers: %d, e.g. %s)",
				x.what, x.r.inLedger, x.r.applied, x.r.refused, x.r.sent, x.want, x.r.other, x.r.otherText)
		}
	}
	if postsSlack != 1 || postsFeishu != 1 {
		t.Errorf("the scheduled leaderboard was posted %d times on Slack and %d on Feishu, want once on each", postsSlack, postsFeishu)
	}
}

// replicaConfig is the example config on PostgreSQL (its store block's
// three lines, the backup schedule off), without the monthly receiver cap
// and with a manager's allowance no load exhausts (an admin's award to the
// other admin counts against it), so that the loads' awards apply: a
// refused Feishu award looks like an applied one to the generator. With 40 more members to redeem, an
// item with two in stock, and a leaderboard scheduled at cron.
func replicaConfig(cron string) []string {
	var members strings.Builder
	for i := 1; i <= stockBurst; i++ {
		fmt.Fprintf(&members, "  - id: replica%02d\n    name: 副本%02d\n    department: 生产部\n    joined: 2020-01-01\n    slack_id: U0REPL%04d\n    feishu_open_id: ou_replica_member_%016d\n", i, i, i, i)
	}
	return append(slices.Concat(noReceiverLimits, bigAllowance, onPostgres),
		"  - id: jifen_bot\n", members.String()+"  - id: jifen_bot\n",
		"\nrewards:\n", fmt.Sprintf("\nrewards:\n  - id: %s\n    name: %s\n    cost: %d\n    stock: %d\n    fulfiller: sunli\n", stockItemID, stockItemName, stockCost, stockUnits),
		"\nschedules:\n", fmt.Sprintf("\nschedules:\n  - name: replica_leaderboard\n    job: leaderboard\n    cron: %q\n    period: week\n    slack_channel: %s\n    feishu_chat: %s\n", cron, scheduleChannel, scheduleChat),
	)
}

// onPostgres are the replacements that put the example config's ledger
// on PostgreSQL at ${DATABASE_URL}, with the answer key its anonymous
// survey needs and without the backup schedule PostgreSQL refuses.
var onPostgres = []string{
	"  path: ${JIFEN_STORE:-jifen.db}\n", "",
	"  # driver: postgres\n", "  driver: postgres\n",
	"  # url: ${DATABASE_URL}\n", "  url: ${DATABASE_URL}\n",
	"  # answer_key: ${JIFEN_ANSWER_KEY}\n", "  answer_key: ${JIFEN_ANSWER_KEY}\n",
	"    job: backup ", "    enabled: false\n    job: backup ",
}

// burst sends count deliveries of mix at once (count requests in flight)
// over the replicas, a tenth of them re-delivered to another replica, and
// sorts the answers: applied (the answer has applied(d)), refused (it has
// refused), or other. Feishu's answers are the bot's replies in chat.
func burst(t *testing.T, cfg *config.Config, urls []string, fake *FakePlatforms, run, mix, behavior string, count int,
	setup func(*Workload), applied func(Delivery) string, refused string) burstResult {
	t.Helper()
	m, err := ParseMix(mix)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorkload(cfg, run, "mixed", behavior, m)
	if err != nil {
		t.Fatal(err)
	}
	setup(w)
	// Feishu's refusals are shown to the caller alone: the cards each
	// caller had before the burst are not its answers.
	before := map[string]int{}
	for _, p := range w.Platforms {
		if p == "feishu" {
			for _, m := range w.callers[p] {
				before[m.FeishuOpenID] = len(fake.FeishuEphemeral(m.FeishuOpenID))
			}
		}
	}
	g := runLoadIn(t, cfg, Options{URLs: urls, Workload: w, Count: int64(count), Concurrency: count, RetryShare: 0.1, RetryFor: 30 * time.Second,
		Timeout: 10 * time.Second, Seed: rand.Uint64()})
	var rep bytes.Buffer
	g.Stats().Report(&rep, g.Awards())
	t.Logf("%s burst:\n%s", run, rep.String())
	// The answers come a moment later (Feishu's through the outbox).
	var out burstResult
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out = sortAnswers(g, fake, before, applied, refused)
		if out.other == 0 || time.Now().After(deadline) {
			return out
		}
	}
}

// runLoadIn runs a load in the test's process, with a listener for the
// response_urls, and returns when every delivery is answered or given up
// on and no answer waits through a response_url.
func runLoadIn(t *testing.T, cfg *config.Config, opt Options) *Generator {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opt.Placeholder = locale.T(cfg.Language, "slack.working")
	opt.Signer = &Signer{Slack: cfg.Slack, Feishu: cfg.Feishu, ResponseURL: "http://" + ln.Addr().String()}
	g := NewGenerator(opt)
	srv := &http.Server{Handler: g.Responses(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	g.Run(ctx)
	for deadline := time.Now().Add(30 * time.Second); g.Deferred() > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	return g
}

// sortAnswers sorts the answers of a burst's deliveries; see burst.
func sortAnswers(g *Generator, fake *FakePlatforms, before map[string]int, applied func(Delivery) string, refused string) burstResult {
	var out burstResult
	used := map[string]int{} // Feishu cards shown to each caller alone, taken as answers so far
	for _, d := range g.Deliveries() {
		out.sent++
		out.byReplica[d.Replica]++
		answer := g.Answer(d.Seq)
		if d.Platform == "feishu" {
			answer = strings.Join(fake.FeishuReplies(d.MessageID), "\n")
			if answer == "" {
				if cards := fake.FeishuEphemeral(d.User); before[d.User]+used[d.User] < len(cards) {
					answer = cards[before[d.User]+used[d.User]]
					used[d.User]++
				}
			}
		}
		switch {
		case strings.Contains(answer, applied(d)):
			out.applied++
		case strings.Contains(answer, refused):
			out.refused++
		default:
			out.other++
			if out.otherText == "" {
				out.otherText = fmt.Sprintf("%s: %q", d.Platform, clip(answer, 300))
			}
		}
	}
	return out
}

// redemptions counts the redemption entries in a ledger export.
func redemptions(r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return 0, err
	}
	col := slices.IndexFunc(header, func(h string) bool { return strings.TrimPrefix(h, "\ufeff") == "kind" })
	if col < 0 {
		return 0, fmt.Errorf("the ledger export has no kind column: %v", header)
	}
	n := 0
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if row[col] == string(jifen.KindRedeem) {
			n++
		}
	}
}
