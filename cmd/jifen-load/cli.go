package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"jifen/config"
	"jifen/locale"
)

// Main runs jifen-load with the given output streams, so tests run it
// in-process.
type Main struct {
	Stdout, Stderr io.Writer
	// OnListen, if set, is told the fake's address in --fake-listen mode.
	OnListen func(addr string)
}

// flags are the command line.
type flags struct {
	url, config, platform, mix, behavior     string
	to, reward                               string
	acked, sent, resend, run, respond, check string
	fakeListen                               string
	rate, retryShare                         float64
	count                                    int64
	duration, retryFor, timeout, waitDefer   time.Duration
	concurrency, pid                         int
	seed                                     uint64
}

func (m *Main) parse(args []string) (*flags, []string, error) {
	f := &flags{}
	fs := flag.NewFlagSet("jifen-load", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&f.url, "url", "", "the server's base URL, or several replicas' separated by commas: new deliveries go to each in turn, re-deliveries to another than the first (default: from the config's http.listen, on loopback)")
	fs.StringVar(&f.config, "config", "", "the config file the server runs with: secrets, members, rules (required)")
	fs.Float64Var(&f.rate, "rate", 0, "deliveries per second; 0 sends as fast as the workers can")
	fs.Int64Var(&f.count, "count", 0, "deliveries to send (default 1000 when no --duration)")
	fs.DurationVar(&f.duration, "duration", 0, "stop sending after this long")
	fs.IntVar(&f.concurrency, "concurrency", 32, "requests in flight at most")
	fs.Float64Var(&f.retryShare, "retry-share", 0.05, "share of deliveries re-delivered once more, as the platforms retry (0–1)")
	fs.DurationVar(&f.retryFor, "retry-for", 0, "re-send deliveries that got no answer for this long, with backoff (0: once)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "per request")
	fs.StringVar(&f.platform, "platform", "", "slack, feishu or mixed (default: the platforms the config enables)")
	fs.StringVar(&f.mix, "mix", "award=60,score=25,leaderboard=15", "weights of the commands: award, score, leaderboard, redeem")
	fs.StringVar(&f.behavior, "behavior", "", "the behavior awarded, by id, name or alias (default: the first positive one without per-receiver limits)")
	fs.StringVar(&f.to, "to", "", "give every award to this member (id or name) instead of members at random")
	fs.StringVar(&f.reward, "reward", "", "the item /redeem asks for (id or name), for redeem in --mix; each member in turn redeems it")
	fs.StringVar(&f.acked, "acked", "", "write one line per answered award to this file")
	fs.StringVar(&f.sent, "sent", "", "write every award delivery to this file (JSON lines), for --resend")
	fs.StringVar(&f.resend, "resend", "", "re-deliver the deliveries in this file (a --sent file) instead of new ones")
	fs.StringVar(&f.run, "run", "", "run id in tokens and delivery ids (default: random)")
	fs.StringVar(&f.respond, "respond-listen", "127.0.0.1:0", "where the response_url listener listens")
	fs.DurationVar(&f.waitDefer, "wait-deferred", 5*time.Second, "how long to wait for answers through response_url after the last delivery")
	fs.IntVar(&f.pid, "pid", 0, "the server's process id: sample its VmRSS/VmHWM from /proc")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed (default: random)")
	fs.StringVar(&f.fakeListen, "fake-listen", "", "only serve a fake Slack Web API and Feishu Open API on this address until interrupted")
	fs.StringVar(&f.check, "check", "", "only compare acked files (the arguments) with this ledger export (jifen export ledger --format csv)")
	fs.Usage = func() {
		fmt.Fprintln(m.Stderr, "usage: jifen-load --config FILE [--url URL[,URL…]] [--rate N] [--count N | --duration D] [--platform slack|feishu|mixed] [--acked FILE] …")
		fmt.Fprintln(m.Stderr, "       jifen-load --config FILE --resend SENT.jsonl [--acked FILE]")
		fmt.Fprintln(m.Stderr, "       jifen-load --check LEDGER.csv ACKED.tsv…")
		fmt.Fprintln(m.Stderr, "       jifen-load --fake-listen ADDR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	return f, fs.Args(), nil
}

// Run runs jifen-load and returns the exit code: 0, 1 when a check finds
// a problem or the run fails, 2 for a bad command line.
func (m *Main) Run(ctx context.Context, args []string) int {
	f, rest, err := m.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case f.fakeListen != "":
		err = m.fake(ctx, f.fakeListen)
	case f.check != "":
		err = m.checkFiles(f.check, rest)
	default:
		if len(rest) > 0 {
			err = usageError("unexpected arguments: " + strings.Join(rest, " "))
			break
		}
		err = m.load(ctx, f)
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(m.Stderr, "jifen-load:", err)
		return 2
	case errors.Is(err, errCheckFailed):
		return 1
	}
	fmt.Fprintln(m.Stderr, "jifen-load:", err)
	return 1
}

type usageError string

func (e usageError) Error() string { return string(e) }

var errCheckFailed = errors.New("check failed")

var runID = regexp.MustCompile(`^[a-z0-9]{1,16}$`)

func (m *Main) load(ctx context.Context, f *flags) error {
	if f.config == "" {
		return usageError("--config is required: the config file the server runs with")
	}
	if f.retryShare < 0 || f.retryShare > 1 {
		return usageError("--retry-share: between 0 and 1")
	}
	if f.rate < 0 || f.count < 0 || f.duration < 0 {
		return usageError("--rate, --count and --duration cannot be negative")
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return err
	}
	if f.run == "" {
		f.run = fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	}
	if !runID.MatchString(f.run) {
		return usageError("--run: 1 to 16 lowercase letters and digits")
	}
	if f.platform == "" {
		switch {
		case cfg.Slack.Enabled && cfg.Feishu.Enabled:
			f.platform = "mixed"
		case cfg.Feishu.Enabled:
			f.platform = "feishu"
		default:
			f.platform = "slack"
		}
	}
	mix, err := ParseMix(f.mix)
	if err != nil {
		return usageError(err.Error())
	}
	w, err := NewWorkload(cfg, f.run, f.platform, f.behavior, mix)
	if err != nil {
		return err
	}
	if f.to != "" {
		m, ok := cfg.Member(f.to)
		if !ok || m.Bot {
			return usageError(fmt.Sprintf("--to %q: no such member in %s", f.to, cfg.Path))
		}
		w.To = &m
	}
	if mix.Redeem > 0 {
		if w.Reward = cfg.Rules.Reward(f.reward); w.Reward == nil {
			return usageError(fmt.Sprintf("--reward %q: redeem in --mix needs an item of the shop in %s", f.reward, cfg.Path))
		}
	}
	if f.url == "" {
		f.url = loopbackURL(cfg.HTTP.Listen)
	}
	var urls []string
	for _, u := range strings.Split(f.url, ",") {
		if u = strings.TrimSuffix(strings.TrimSpace(u), "/"); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return usageError("--url: give one base URL or several separated by commas")
	}
	if f.seed == 0 {
		f.seed = rand.Uint64()
	}
	opt := Options{URLs: urls, Workload: w, Rate: f.rate, Count: f.count, Duration: f.duration, Concurrency: f.concurrency,
		RetryShare: f.retryShare, RetryFor: f.retryFor, Timeout: f.timeout, PID: f.pid, Seed: f.seed,
		Placeholder: locale.T(cfg.Language, "slack.working")}
	if f.resend != "" {
		ds, err := readFile(f.resend, ReadDeliveries)
		if err != nil {
			return err
		}
		opt.Resend = ds
		if opt.Resend == nil {
			opt.Resend = []Delivery{}
		}
	} else if f.count == 0 && f.duration == 0 {
		opt.Count = 1000
	}
	if f.sent != "" {
		sf, err := os.Create(f.sent)
		if err != nil {
			return err
		}
		defer sf.Close()
		opt.Sent = sf
	}
	// response_url answers come to a listener of our own.
	ln, err := net.Listen("tcp", f.respond)
	if err != nil {
		return err
	}
	opt.Signer = &Signer{BaseURL: urls[0], Slack: cfg.Slack, Feishu: cfg.Feishu, ResponseURL: "http://" + ln.Addr().String()}
	g := NewGenerator(opt)
	srv := &http.Server{Handler: g.Responses(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	what := fmt.Sprintf("%d deliveries", opt.Count)
	switch {
	case opt.Resend != nil:
		what = fmt.Sprintf("re-delivering %d deliveries from %s", len(opt.Resend), f.resend)
	case f.duration > 0 && f.count > 0:
		what = fmt.Sprintf("%d deliveries or %s", f.count, f.duration)
	case f.duration > 0:
		what = f.duration.String()
	}
	rate := "as fast as possible"
	if f.rate > 0 {
		rate = fmt.Sprintf("%g/s", f.rate)
	}
	fmt.Fprintf(m.Stdout, "jifen-load: run %s → %s, %s, %s, platform %s, concurrency %d, retry share %g, behavior %s (%d points)\n",
		f.run, f.url, what, rate, f.platform, opt.Concurrency, f.retryShare, w.Behavior.Name, w.Points)
	g.Run(ctx)
	deadline := time.Now().Add(f.waitDefer)
	for g.Deferred() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	awards := g.Awards()
	g.Stats().Report(m.Stdout, awards)
	if f.acked != "" {
		af, err := os.Create(f.acked)
		if err != nil {
			return err
		}
		if err := WriteAcked(af, awards); err != nil {
			af.Close()
			return err
		}
		if err := af.Close(); err != nil {
			return err
		}
	}
	return nil
}

// loopbackURL turns http.listen (":8080", "0.0.0.0:8080", "127.0.0.1:9000")
// into a loopback URL.
func loopbackURL(listen string) string {
	if listen == "" {
		listen = config.DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// fake serves FakePlatforms until ctx ends, then prints what was called.
func (m *Main) fake(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	f := NewFakePlatforms()
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(m.Stdout, "jifen-load: fake platforms on %s (slack.api_url: http://%[1]s/api, feishu.base_url: http://%[1]s)\n", ln.Addr())
	if m.OnListen != nil {
		m.OnListen(ln.Addr().String())
	}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintf(m.Stdout, "fake platforms: calls: %s\n", counts(f.Calls()))
	return nil
}

// checkFiles compares acked files with a ledger export.
func (m *Main) checkFiles(ledgerPath string, ackedPaths []string) error {
	if len(ackedPaths) == 0 {
		return usageError("--check LEDGER.csv needs one or more acked files as arguments")
	}
	ledger, err := readFile(ledgerPath, LedgerTokens)
	if err != nil {
		return err
	}
	var runs [][]AckedAward
	for _, p := range ackedPaths {
		a, err := readFile(p, ReadAcked)
		if err != nil {
			return err
		}
		runs = append(runs, a)
	}
	c := CheckLedger(runs, ledger)
	c.Report(m.Stdout)
	if !c.OK() {
		return errCheckFailed
	}
	return nil
}
