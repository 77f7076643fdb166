//go:build crash

// The crash test: `jifen serve` is killed with SIGKILL in the middle of a
// load, restarted, and the load's re-deliveries go through; afterwards
// every acknowledged award must be in the ledger exactly once and `jifen
// verify` must be clean. It builds both programs and takes a minute or
// two, so it runs only with the build tag:
//
//	go test -tags crash -run TestCrash -v ./cmd/jifen-load/
//	scripts/crash-test.sh -crash.points 8
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
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
)

var (
	crashPoints   = flag.Int("crash.points", 5, "how many kill points (one server per point)")
	crashSeed     = flag.Uint64("crash.seed", 0, "seed for the kill points and the loads (default: random, printed)")
	crashRate     = flag.Float64("crash.rate", 300, "deliveries per second during the load")
	crashDuration = flag.Duration("crash.duration", 4*time.Second, "how long each load sends")
	crashPlatform = flag.String("crash.platform", "mixed", "slack, feishu or mixed")
)

// crashResult is one kill point's outcome.
type crashResult struct {
	killAt                         time.Duration
	acked, found, lost, doubled    int
	lostSlack, lostFeishu          int
	refusedIn, redelivered         int
	uncertain, uncertainIn, resent int
	verify                         string
	lostUnreplied                  int // lost Feishu awards the bot never replied to
}

func TestCrash(t *testing.T) {
	seed := *crashSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("crash test: seed %d (-crash.seed %d repeats the kill points), %d points, %g deliveries/s for %s, platform %s",
		seed, seed, *crashPoints, *crashRate, *crashDuration, *crashPlatform)
	r := rand.New(rand.NewPCG(seed, 1))
	bin := t.TempDir()
	build(t, filepath.Join(bin, "jifen"), "../jifen")
	build(t, filepath.Join(bin, "jifen-load"), ".")
	fake := NewFakePlatforms()
	fs := httptest.NewServer(fake)
	defer fs.Close()

	var results []crashResult
	for i := range *crashPoints {
		// Spread the kill points over the load, each at a random place in
		// its own slice of it.
		slice := *crashDuration / time.Duration(*crashPoints)
		killAt := time.Duration(i)*slice + time.Duration(r.Int64N(int64(slice)))
		t.Run(fmt.Sprintf("kill-at-%dms", killAt.Milliseconds()), func(t *testing.T) {
			results = append(results, crashOnce(t, bin, fs.URL, fake, i, killAt, r.Uint64()))
		})
	}

	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kill at\tacked awards\tfound once\tlost\t(slack\tfeishu)\tdoubled\tre-delivered\tresent\tuncertain (in ledger)\tverify\t")
	var sum crashResult
	for _, x := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d (%d)\t%s\t\n", x.killAt.Round(time.Millisecond), x.acked, x.found, x.lost,
			x.lostSlack, x.lostFeishu, x.doubled, x.redelivered, x.resent, x.uncertain, x.uncertainIn, x.verify)
		sum.acked += x.acked
		sum.found += x.found
		sum.lost += x.lost
		sum.lostSlack += x.lostSlack
		sum.lostFeishu += x.lostFeishu
		sum.doubled += x.doubled
		sum.redelivered += x.redelivered
		sum.resent += x.resent
		sum.uncertain += x.uncertain
		sum.uncertainIn += x.uncertainIn
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d (%d)\t\t\n", sum.acked, sum.found, sum.lost, sum.lostSlack, sum.lostFeishu,
		sum.doubled, sum.redelivered, sum.resent, sum.uncertain, sum.uncertainIn)
	tw.Flush()
	t.Logf("crash test summary (seed %d):\n%s", seed, b.String())
}

// crashOnce runs one kill point on a fresh store and returns its outcome;
// it fails t when an acknowledged award is lost or doubled or verify is
// not clean.
func crashOnce(t *testing.T, bin, fakeURL string, fake *FakePlatforms, n int, killAt time.Duration, seed uint64) crashResult {
	res := crashResult{killAt: killAt}
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeConfig(t, dir, fakeURL, addr, slices.Concat(noReceiverLimits, bigAllowance)...)
	env := append(os.Environ(), "JIFEN_STORE="+filepath.Join(dir, "jifen.db"), "JIFEN_BACKUP_DIR="+filepath.Join(dir, "backups"))
	for k, v := range fakeEnv {
		env = append(env, k+"="+v)
	}
	jifen, load := filepath.Join(bin, "jifen"), filepath.Join(bin, "jifen-load")
	run := fmt.Sprintf("k%d", n)

	srv := startJifen(t, jifen, cfg, env, filepath.Join(dir, "serve-1.log"), addr)
	acked1, sent := filepath.Join(dir, "acked-1.tsv"), filepath.Join(dir, "sent.jsonl")
	var loadOut bytes.Buffer
	gen := exec.Command(load, "--url", "http://"+addr, "--config", cfg, "--rate", fmt.Sprint(*crashRate), "--duration", crashDuration.String(),
		"--concurrency", "32", "--retry-share", "0.1", "--retry-for", "30s", "--timeout", "5s", "--platform", *crashPlatform,
		"--run", run, "--seed", strconv.FormatUint(seed, 10), "--acked", acked1, "--sent", sent)
	gen.Env, gen.Stdout, gen.Stderr = env, &loadOut, &loadOut
	if err := gen.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(killAt)
	// SIGKILL: no shutdown, no flush; only what was committed survives.
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	time.Sleep(300 * time.Millisecond)
	srv = startJifen(t, jifen, cfg, env, filepath.Join(dir, "serve-2.log"), addr)
	if err := gen.Wait(); err != nil {
		t.Fatalf("load: %v\n%s", err, loadOut.String())
	}
	t.Logf("load with a kill at %s:\n%s", killAt, loadOut.String())

	// Re-deliver every award that got no answer, and every third one that
	// did, as a platform may.
	first, err := readFile(acked1, ReadAcked)
	if err != nil {
		t.Fatal(err)
	}
	resendPath, acked2 := filepath.Join(dir, "resend.jsonl"), filepath.Join(dir, "acked-2.tsv")
	res.resent = writeResend(t, first, sent, resendPath)
	out, err := command(env, load, "--url", "http://"+addr, "--config", cfg, "--resend", resendPath, "--concurrency", "16",
		"--retry-share", "0.1", "--retry-for", "10s", "--acked", acked2)
	if err != nil {
		t.Fatalf("resend: %v\n%s", err, out)
	}
	t.Logf("re-delivery of %d awards:\n%s", res.resent, out)
	stopJifen(t, srv)

	ledgerPath := filepath.Join(dir, "ledger.csv")
	if out, err := command(env, jifen, "export", "ledger", "--config", cfg, "--format", "csv", "-o", ledgerPath); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	out, err = command(env, jifen, "verify", "--config", cfg)
	res.verify = "ok"
	if err != nil || !strings.Contains(out, "verify: ok") {
		res.verify = "FAILED"
		t.Errorf("verify: %v\n%s", err, out)
	}
	ledger, err := readFile(ledgerPath, LedgerTokens)
	if err != nil {
		t.Fatal(err)
	}
	second, err := readFile(acked2, ReadAcked)
	if err != nil {
		t.Fatal(err)
	}
	c := CheckLedger([][]AckedAward{first, second}, ledger)
	var rep bytes.Buffer
	c.Report(&rep)
	t.Logf("%s", rep.String())
	res.acked, res.found, res.lost, res.doubled = c.Acked, c.Found, len(c.Lost), len(c.Doubled)
	res.refusedIn, res.redelivered, res.uncertain, res.uncertainIn = len(c.RefusedIn), c.Redelivered, c.Uncertain, c.UncertainIn
	if p := c.ByPlatform["slack"]; p != nil {
		res.lostSlack = p.Lost
	}
	if p := c.ByPlatform["feishu"]; p != nil {
		res.lostFeishu = p.Lost
	}
	for _, tok := range c.Lost {
		if fake.FeishuReplied(tok) == 0 {
			res.lostUnreplied++
		}
	}
	if !c.OK() {
		t.Errorf("kill at %s: %d lost (slack %d, feishu %d; %d of them never answered in chat either), %d doubled, %d refused but applied; files in %s",
			killAt, res.lost, res.lostSlack, res.lostFeishu, res.lostUnreplied, res.doubled, res.refusedIn, dir)
	}
	if c.Acked == 0 {
		t.Errorf("no award was acknowledged")
	}
	return res
}
