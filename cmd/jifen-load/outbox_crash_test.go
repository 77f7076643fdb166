//go:build crash

package main

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	outboxMembers  = flag.Int("crash.outbox.members", 1000, "members who get a personal report in TestCrashOutbox")
	outboxPlatform = flag.String("crash.outbox.platform", "mixed", "slack, feishu or mixed: where the members are in TestCrashOutbox")
)

// TestCrashOutbox kills `jifen serve` with SIGKILL twice while it sends
// the monthly personal reports: once just after start, while the job may
// still be queueing them, and once with about half of them sent. After
// the third start every member has their report: on Feishu exactly once
// (the platform drops a repeated uuid), on Slack with at most the messages
// in flight at each kill repeated.
//
//	go test -tags crash -run TestCrashOutbox -v ./cmd/jifen-load/ -args -crash.outbox.members 10000 -crash.outbox.platform feishu
func TestCrashOutbox(t *testing.T) {
	n, platform := *outboxMembers, *outboxPlatform
	bin := t.TempDir()
	build(t, filepath.Join(bin, "jifen"), "../jifen")
	fake := NewFakePlatforms()
	fs := httptest.NewServer(fake)
	defer fs.Close()
	dir := t.TempDir()
	addr := freeAddr(t)

	// The personal report's schedule fires at the next minute (in the
	// config's zone); serve looks for due jobs every 30 seconds.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	fire := time.Now().In(loc).Truncate(time.Minute).Add(time.Minute)
	cron := fmt.Sprintf("%d %d %d %d *", fire.Minute(), fire.Hour(), fire.Day(), int(fire.Month()))
	cfg := writeConfig(t, dir, fs.URL, addr, `cron: "0 10 1 * *"`, "cron: "+strconv.Quote(cron))
	env := append(os.Environ(), "JIFEN_STORE="+filepath.Join(dir, "jifen.db"), "JIFEN_BACKUP_DIR="+filepath.Join(dir, "backups"))
	for k, v := range fakeEnv {
		env = append(env, k+"="+v)
	}
	jifen := filepath.Join(bin, "jifen")

	var csv strings.Builder
	csv.WriteString("id,name,department,role,slack_id,feishu_open_id\n")
	for i := range n {
		slack, feishu := fmt.Sprintf("UOB%06d", i), fmt.Sprintf("ou_outbox_%06d", i)
		switch platform {
		case "slack":
			feishu = ""
		case "feishu":
			slack = ""
		}
		fmt.Fprintf(&csv, "ob%06d,成员%06d,销售部,employee,%s,%s\n", i, i, slack, feishu)
	}
	members := filepath.Join(dir, "members.csv")
	if err := os.WriteFile(members, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := command(env, jifen, "import", "members", "--config", cfg, members); err != nil {
		t.Fatalf("import members: %v\n%s", err, out)
	}
	wantFeishu, wantSlack := n, n
	switch platform {
	case "slack":
		wantFeishu = 0
	case "feishu":
		wantSlack = 0
	}
	delivered := func() (feishu, slack int) {
		f, s, _ := fake.Delivered()
		for id := range f {
			if strings.HasPrefix(id, "ou_outbox_") {
				feishu++
			}
		}
		for ch := range s {
			if strings.HasPrefix(ch, "UOB") {
				slack++
			}
		}
		return feishu, slack
	}
	waitUntil := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				f, s := delivered()
				logs, _ := filepath.Glob(filepath.Join(dir, "serve-*.log"))
				var b strings.Builder
				for _, l := range logs {
					raw, _ := os.ReadFile(l)
					fmt.Fprintf(&b, "--- %s\n%s", filepath.Base(l), raw)
				}
				t.Fatalf("gave up waiting %s for %s: %d of %d on Feishu, %d of %d on Slack; calls %v\n%s", d, what, f, wantFeishu, s, wantSlack, fake.Calls(), b.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	kill := func(srv interface{ Signal(os.Signal) error }) {
		if err := srv.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	var rss []int
	sample := func(pid int, stop <-chan struct{}) {
		peak := 0
		for {
			select {
			case <-stop:
				rss = append(rss, peak)
				return
			case <-time.After(100 * time.Millisecond):
			}
			if kb := residentKB(pid); kb > peak {
				peak = kb
			}
		}
	}
	start := time.Now()
	// First life: killed at the first report sent, the job perhaps still
	// queueing the others.
	srv := startJifen(t, jifen, cfg, env, filepath.Join(dir, "serve-1.log"), addr)
	waitUntil("the first report", 2*time.Minute, func() bool {
		f, s := delivered()
		return f+s > 0
	})
	kill(srv.Process)
	_ = srv.Wait()
	f1, s1 := delivered()
	// Second life: killed with about half the reports sent.
	srv = startJifen(t, jifen, cfg, env, filepath.Join(dir, "serve-2.log"), addr)
	stop := make(chan struct{})
	go sample(srv.Process.Pid, stop)
	// Slack takes 20 a second, Feishu 45: a bound far above either.
	bound := time.Minute + time.Duration(wantFeishu+wantSlack)*100*time.Millisecond
	waitUntil("half of the reports", bound, func() bool {
		f, s := delivered()
		return f+s >= (wantFeishu+wantSlack)/2
	})
	kill(srv.Process)
	_ = srv.Wait()
	close(stop)
	f2, s2 := delivered()
	// Third life: everything arrives.
	srv = startJifen(t, jifen, cfg, env, filepath.Join(dir, "serve-3.log"), addr)
	stop = make(chan struct{})
	go sample(srv.Process.Pid, stop)
	waitUntil("every report", bound, func() bool {
		f, s := delivered()
		return f >= wantFeishu && s >= wantSlack
	})
	// A moment more for anything that would arrive twice.
	time.Sleep(2 * time.Second)
	stopJifen(t, srv)
	close(stop)
	took := time.Since(start)

	feishuTo, slackTo, feishuRepeats := fake.Delivered()
	f, s := delivered()
	if f != wantFeishu || s != wantSlack {
		t.Errorf("reports reached %d of %d members on Feishu and %d of %d on Slack", f, wantFeishu, s, wantSlack)
	}
	for id, c := range feishuTo {
		if strings.HasPrefix(id, "ou_outbox_") && c != 1 {
			t.Errorf("Feishu delivered %d reports to %s", c, id)
		}
	}
	slackRepeats := 0
	for ch, c := range slackTo {
		if strings.HasPrefix(ch, "UOB") {
			slackRepeats += c - 1
		}
	}
	// Each kill may repeat what was in flight: the sender keeps 8 sends
	// in flight per platform.
	if slackRepeats > 2*8 {
		t.Errorf("%d Slack reports arrived twice; at most the 16 in flight at the two kills may", slackRepeats)
	}
	if out, err := command(env, jifen, "verify", "--config", cfg); err != nil || !strings.Contains(out, "verify: ok") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	t.Logf("%d members (%s): after the 1st kill %d Feishu / %d Slack arrived, after the 2nd %d / %d; all in %s; "+
		"Feishu sends repeating a uuid (dropped by the platform): %d; Slack reports sent twice: %d; peak RSS of the 2nd and 3rd lives: %v KB",
		n, platform, f1, s1, f2, s2, took.Round(time.Second), feishuRepeats, slackRepeats, rss)
}

// residentKB is a process's resident set size, from /proc.
func residentKB(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	return 0
}
