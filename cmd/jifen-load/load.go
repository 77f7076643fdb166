package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Status is what became of an award delivery, as far as the generator can
// tell from the answers it got.
type Status string

const (
	// Applied: Slack answered with the award's announcement (it carries the
	// token), directly or later through response_url.
	Applied Status = "applied"
	// Refused: Slack answered with an error (a limit, say); nothing may be
	// in the ledger.
	Refused Status = "refused"
	// Deferred: Slack got the "working on it" placeholder and the answer
	// never came through response_url.
	Deferred Status = "deferred"
	// Acked: Feishu events are answered {} at once and worked on
	// afterwards, so the answer says nothing about the award.
	Acked Status = "acked"
	// Unacked: no delivery of it was answered with 200.
	Unacked Status = "unacked"
)

// Options configure a load run.
type Options struct {
	Signer *Signer
	// URLs are the servers' base URLs (replicas of one service): each new
	// delivery goes to one of them in turn, and every re-delivery of it
	// to another one than its first, as a load balancer may do.
	URLs        []string
	Workload    *Workload
	Rate        float64       // deliveries per second; 0 sends as fast as the workers can
	Count       int64         // deliveries; 0 is no limit (Duration then)
	Duration    time.Duration // 0 is no limit (Count then)
	Concurrency int
	// RetryShare of deliveries are deliberately delivered twice, as a
	// platform does when it thinks the first delivery timed out: the
	// second goes out shortly after the first, often while the first is
	// still being worked on.
	RetryShare float64
	// RetryFor is how long a delivery that got no answer (connection
	// refused or reset, a timeout, a 5xx) is re-sent, with backoff, as the
	// platforms re-deliver; 0 sends it once.
	RetryFor time.Duration
	Timeout  time.Duration // per HTTP request
	// Resend, if not nil, is sent instead of new deliveries: each one as a
	// re-delivery of an earlier run's.
	Resend []Delivery
	// Sent receives every award delivery as it goes out (JSON lines).
	Sent io.Writer
	// Placeholder is the text of Slack's "working on it" answer (the
	// server's language).
	Placeholder string
	// PID of the server, to sample its memory from /proc; 0 skips it.
	PID  int
	Seed uint64
}

// tracked is one delivery and what its answers said.
type tracked struct {
	d        Delivery
	mu       sync.Mutex
	status   Status
	attempts int
	replicas []int // the URLs (by index) that answered it with 200
}

// Generator runs a load: it paces deliveries, sends them from a pool of
// workers, re-sends as the platforms do, and collects the answers.
type Generator struct {
	opt    Options
	client *http.Client
	stats  *Stats

	mu      sync.Mutex
	awards  map[string]*tracked // by token
	order   []*tracked
	all     []Delivery       // every delivery, in the order sent
	answers map[int64]string // Slack deliveries by seq: the last answer's body
	sent    io.Writer
	sentMu  sync.Mutex
}

// NewGenerator prepares a run.
func NewGenerator(opt Options) *Generator {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 1
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if len(opt.URLs) == 0 && opt.Signer != nil {
		opt.URLs = []string{opt.Signer.BaseURL}
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * opt.Concurrency,
		MaxIdleConnsPerHost: 4 * opt.Concurrency,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &Generator{opt: opt, client: &http.Client{Transport: tr, Timeout: opt.Timeout},
		stats: NewStats(), awards: map[string]*tracked{}, answers: map[int64]string{}, sent: opt.Sent}
}

// Stats are the run's figures so far.
func (g *Generator) Stats() *Stats { return g.stats }

// Run sends the load and returns when every delivery is answered or given
// up on. ctx ending stops new deliveries.
func (g *Generator) Run(ctx context.Context) {
	jobs := make(chan Delivery, g.opt.Concurrency)
	var wg sync.WaitGroup
	for range g.opt.Concurrency {
		wg.Go(func() {
			for d := range jobs {
				g.deliver(ctx, d)
			}
		})
	}
	stopMem := g.sampleMemory()
	g.stats.start = time.Now()
	g.produce(ctx, jobs)
	close(jobs)
	wg.Wait()
	g.stats.end = time.Now()
	stopMem()
	g.client.CloseIdleConnections()
}

// produce feeds the workers: new deliveries at the rate (open loop: the
// schedule does not wait for slow answers, as real users do not) until the
// count or the duration is reached, or the deliveries to resend.
func (g *Generator) produce(ctx context.Context, jobs chan<- Delivery) {
	r := rand.New(rand.NewPCG(g.opt.Seed, 0x6a6966656e))
	start := time.Now()
	var deadline <-chan time.Time
	if g.opt.Duration > 0 && g.opt.Rate <= 0 {
		t := time.NewTimer(g.opt.Duration)
		defer t.Stop()
		deadline = t.C
	}
	for i := int64(0); ; i++ {
		var d Delivery
		if g.opt.Resend != nil {
			if i >= int64(len(g.opt.Resend)) {
				return
			}
			d = g.opt.Resend[i]
		} else {
			if g.opt.Count > 0 && i >= g.opt.Count {
				return
			}
			d = g.opt.Workload.Next(i+1, r)
			d.Replica = int(i % int64(len(g.opt.URLs)))
		}
		if g.opt.Rate > 0 {
			at := start.Add(time.Duration(float64(i) / g.opt.Rate * float64(time.Second)))
			if g.opt.Duration > 0 && at.Sub(start) >= g.opt.Duration {
				return // the schedule, not the timer, ends a paced run: exactly rate × duration
			}
			if wait := time.Until(at); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-deadline:
					return
				case <-time.After(wait):
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return
		default:
		}
		g.track(d)
		if g.opt.Rate > 0 {
			// A full queue means every worker is busy: the schedule slips,
			// and the slip is reported.
			at := start.Add(time.Duration(float64(i) / g.opt.Rate * float64(time.Second)))
			select {
			case jobs <- d:
			case <-ctx.Done():
				return
			}
			g.stats.slipped(time.Since(at))
		} else {
			select {
			case jobs <- d:
			case <-ctx.Done():
				return
			}
		}
	}
}

// track registers an award delivery before it goes out and writes it to
// the --sent file.
func (g *Generator) track(d Delivery) {
	g.stats.delivery(d)
	g.mu.Lock()
	g.all = append(g.all, d)
	g.mu.Unlock()
	if d.Token == "" {
		return
	}
	g.mu.Lock()
	if _, ok := g.awards[d.Token]; !ok {
		t := &tracked{d: d, status: Unacked}
		g.awards[d.Token] = t
		g.order = append(g.order, t)
	}
	g.mu.Unlock()
	if g.sent != nil {
		line, _ := json.Marshal(d)
		g.sentMu.Lock()
		_, _ = g.sent.Write(append(line, '\n'))
		g.sentMu.Unlock()
	}
}

func (g *Generator) tracked(token string) *tracked {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.awards[token]
}

// replica is the URL (by index) of d's send number hop: the first send
// (hop 0) goes to d's own replica, every later one to another, in turn.
func (g *Generator) replica(d Delivery, hop int) int {
	n := len(g.opt.URLs)
	first := ((d.Replica % n) + n) % n
	if hop == 0 || n == 1 {
		return first
	}
	return (first + 1 + (hop-1)%(n-1)) % n
}

// deliver sends d until it is answered (within RetryFor), plus once more
// when it is picked for a deliberate retry. Only the first send of a new
// delivery goes to its own replica; re-deliveries (a platform's retry, a
// send after no answer, --resend) go to the others.
func (g *Generator) deliver(ctx context.Context, d Delivery) {
	retry := 0
	if g.opt.Resend != nil {
		retry = 1 // a re-delivery of an earlier run's
	}
	var twin sync.WaitGroup
	if g.opt.RetryShare > 0 && rand.Float64() < g.opt.RetryShare {
		// The platform's retry: the same delivery again a moment later,
		// usually while the first is still being answered.
		delay := time.Duration(rand.Int64N(int64(20 * time.Millisecond)))
		twin.Go(func() {
			time.Sleep(delay)
			g.stats.retried(true)
			g.send(d, retry+1, "http_timeout", g.replica(d, retry+1))
		})
	}
	first := time.Now()
	backoff := 100 * time.Millisecond
	for attempt := retry; ; attempt++ {
		reason := "http_timeout"
		if attempt > retry {
			g.stats.retried(false)
			reason = "http_error"
		}
		if g.send(d, attempt, reason, g.replica(d, attempt)) || g.opt.RetryFor <= 0 || time.Since(first) > g.opt.RetryFor {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		if ctx.Err() != nil {
			break
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	twin.Wait()
}

// send makes one HTTP request for d to URL number replica and records the
// answer. It reports whether the delivery is finished: answered with 200,
// or refused in a way a re-delivery would not change (4xx).
func (g *Generator) send(d Delivery, retry int, reason string, replica int) (done bool) {
	req, err := g.opt.Signer.Request(g.opt.URLs[replica], d, retry, reason, time.Now())
	if err != nil {
		g.stats.failed("build request: " + err.Error())
		return true
	}
	start := time.Now()
	resp, err := g.client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	took := time.Since(start)
	if err != nil {
		g.stats.failed(errorKind(err))
		return false
	}
	if resp.StatusCode != http.StatusOK {
		g.stats.failed(fmt.Sprintf("http %d %s", resp.StatusCode, clip(strings.TrimSpace(string(body)), 60)))
		return resp.StatusCode < 500
	}
	g.stats.acked(d, took)
	status := Acked
	if d.Platform == "slack" {
		status = g.slackAnswer(d, body)
		g.mu.Lock()
		g.answers[d.Seq] = string(body)
		g.mu.Unlock()
	}
	if t := g.tracked(d.Token); t != nil {
		t.mu.Lock()
		t.attempts++
		t.replicas = append(t.replicas, replica)
		t.status = better(t.status, status)
		t.mu.Unlock()
	}
	return true
}

// slackAnswer reads a slash command's answer: the award's announcement
// (it carries the token), the placeholder of a slow command, or an error.
func (g *Generator) slackAnswer(d Delivery, body []byte) Status {
	var msg struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		g.stats.answer(d.Command, "unreadable answer")
		return Refused
	}
	switch {
	case d.Token != "" && strings.Contains(string(body), d.Token):
		g.stats.answer(d.Command, "")
		return Applied
	case msg.Text == g.opt.Placeholder:
		g.stats.answer(d.Command, "placeholder (answer via response_url)")
		return Deferred
	case strings.HasPrefix(msg.Text, "⚠"), d.Token != "":
		g.stats.answer(d.Command, "error: "+errorText(msg.Text))
		return Refused
	}
	g.stats.answer(d.Command, "")
	return Applied
}

// better is the more informative of two statuses of one award: an answer
// that shows the award beats one that does not.
func better(a, b Status) Status {
	rank := map[Status]int{Unacked: 0, Acked: 1, Deferred: 2, Refused: 3, Applied: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// digits are normalised out of error texts so that "30 left" and "25 left"
// count as one kind.
var digits = regexp.MustCompile(`[0-9]+`)

func errorText(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "⚠️"), "⚠"))
	return clip(digits.ReplaceAllString(s, "N"), 40)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// errorKind names a transport error without its addresses.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed (EOF)"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return clip(err.Error(), 60)
}

// Responses serves the response_urls of the slash commands: a command that
// took longer than its acknowledgement budget is answered there later.
func (g *Generator) Responses() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // commands/TEAM/SEQ/TOKEN
		token := parts[len(parts)-1]
		g.stats.responseURL()
		if len(parts) == 4 {
			if seq, err := strconv.ParseInt(parts[2], 10, 64); err == nil {
				g.mu.Lock()
				g.answers[seq] = string(body)
				g.mu.Unlock()
			}
		}
		if t := g.tracked(token); t != nil {
			st := Refused
			if strings.Contains(string(body), token) {
				st = Applied
			}
			t.mu.Lock()
			t.status = better(t.status, st)
			t.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

// Deferred counts the awards still waiting for their response_url answer.
func (g *Generator) Deferred() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, t := range g.order {
		t.mu.Lock()
		if t.status == Deferred {
			n++
		}
		t.mu.Unlock()
	}
	return n
}

// Awards lists every award delivery with its status, in the order sent.
func (g *Generator) Awards() []AckedAward {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]AckedAward, 0, len(g.order))
	for _, t := range g.order {
		t.mu.Lock()
		out = append(out, AckedAward{Token: t.d.Token, Platform: t.d.Platform, Status: t.status, Key: t.d.Key(), Attempts: t.attempts,
			Replicas: slices.Clone(t.replicas)})
		t.mu.Unlock()
	}
	return out
}

// Deliveries lists every delivery sent, in order.
func (g *Generator) Deliveries() []Delivery {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.all)
}

// Answer is the body of the last answer to Slack delivery seq (directly or
// through response_url); "" when none came.
func (g *Generator) Answer(seq int64) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.answers[seq]
}

// sampleMemory reads the server's VmRSS every second (and VmHWM at the
// end), when its PID is known; the returned func stops it.
func (g *Generator) sampleMemory() (stop func()) {
	if g.opt.PID == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if m, ok := readMemory(g.opt.PID); ok {
				g.stats.memory(m)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// memory is a process's resident memory from /proc/PID/status, in kB.
type memory struct{ rss, hwm int64 }

func readMemory(pid int) (memory, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, false
	}
	var m memory
	for _, line := range strings.Split(string(raw), "\n") {
		var v int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &v); err == nil {
			m.rss = v
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil {
			m.hwm = v
		}
	}
	return m, m.rss > 0
}
