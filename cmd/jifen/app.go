package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"jifen"
	"jifen/bot"
	"jifen/config"
	"jifen/metrics"
	"jifen/store"
	"jifen/store/postgres"
)

// Main runs jifen's subcommands with the given standard streams.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// OnMetricsListen, if set, is called with the address /metrics is
	// served on when http.metrics_listen is set (tests).
	OnMetricsListen func(addr string)
	// Clock overrides the time (tests); nil is the system clock.
	Clock jifen.Clock
	// OnListen, if set, is told the address `jifen serve` listens on
	// (tests listen on port 0).
	OnListen func(addr string)

	// logConfig is the config's log: section, once a command has loaded
	// it; the zero value (before) is text at the level asked.
	logConfig config.Log
	// serving: the command is serve, which logs at info.
	serving bool
}

// now is the time: the Clock when one is set (tests).
func (m *Main) now() time.Time {
	if m.Clock != nil {
		return m.Clock.Now()
	}
	return time.Now()
}

// logger logs to Stderr in the configured format, at the given level and
// above: serve asks for info, the one-shot commands for warnings only, and
// log.level raises that floor, or lowers it to debug when it says debug
// (the per-command lines a bot writes then, see bot.Handle).
func (m *Main) logger(level slog.Level) *slog.Logger {
	var configured slog.Level
	if err := configured.UnmarshalText([]byte(m.logConfig.Level)); err == nil {
		if configured == slog.LevelDebug || configured > level {
			level = configured
		}
	}
	opt := &slog.HandlerOptions{Level: level}
	if m.logConfig.Format == "json" {
		return slog.New(slog.NewJSONHandler(m.Stderr, opt))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opt))
}

// subcommand is one `jifen <name>`.
type subcommand struct {
	name    string
	summary string
	usage   string // arguments after the name
	run     func(m *Main, ctx context.Context, fs *flag.FlagSet, args []string) error
	flags   func(fs *flag.FlagSet)
	// kindFirst: the leading arguments name what to act on and may come
	// before the flags (jifen import ratings --config FILE PATH,
	// jifen schedule run NAME --dry-run --config FILE).
	kindFirst bool
	// noConfig: the command reads no configuration, so it has no --config.
	noConfig bool
}

var subcommands = []subcommand{
	{name: "serve", summary: "run the bot: HTTP callbacks, health check and the enabled platform connections", usage: "--config FILE",
		run: (*Main).serve},
	{name: "chat", summary: "chat with the bot locally on the configured store", usage: "--config FILE --as MEMBER",
		run: (*Main).chat, flags: func(fs *flag.FlagSet) {
			fs.String("as", "", "the member you speak as: an id or a name (required)")
		}},
	{name: "export", summary: "export the ledger (every entry with names), the members, ratings or KPIs (as `jifen import` reads them), or a survey's answers, as CSV (UTF-8 with BOM, for Excel) or XLSX",
		usage: "ledger --config FILE --format csv|xlsx [--from DATE --to DATE] [-o FILE]\n       jifen export members|ratings|kpis --config FILE --format csv|xlsx [-o FILE]\n       jifen export survey ID --config FILE --format csv|xlsx [--round N] [-o FILE]",
		run:   (*Main).export, kindFirst: true, flags: func(fs *flag.FlagSet) {
			fs.String("format", "csv", "csv or xlsx")
			fs.String("round", "", "survey: one round only (1, 2, …); default every round")
			fs.String("from", "", "first day, e.g. 2026-10-01 (in the configured zone)")
			fs.String("to", "", "last day, inclusive")
			fs.String("o", "", "write to this file instead of standard output")
		}},
	{name: "demo", summary: "fill an empty bbolt store file with a synthetic year of a ~200-person company (same seed, same year), to try every command and report", usage: "--config FILE [--members 200] [--seed 1]",
		run: (*Main).demo, flags: func(fs *flag.FlagSet) {
			fs.String("members", "200", "how many people the company has, the config's members included")
			fs.String("seed", "1", "the random seed")
		}},
	{name: "import", summary: "import members, ratings, KPIs or historical points from a .csv or .xlsx file; a file with a bad row is refused whole", usage: "--config FILE members|ratings|kpis|points PATH",
		run: (*Main).imports, kindFirst: true},
	{name: "member", summary: "forget a member's personal data (name, platform ids, texts, feedback, ratings) and keep the ledger's figures", usage: "forget ID --config FILE",
		run: (*Main).member, kindFirst: true},
	{name: "members", summary: "sync the members with the Slack or Feishu directory: new people, platform ids found by email, departments, leaders as managers, people deactivated as left; --dry-run prints the plan and writes nothing",
		usage: "sync --from slack|feishu [--dry-run] --config FILE",
		run:   (*Main).membersCmd, kindFirst: true, flags: func(fs *flag.FlagSet) {
			fs.String("from", "", "the directory to read: slack or feishu (required)")
			fs.Bool("dry-run", false, "print what would change and write nothing")
		}},
	{name: "report", summary: "write the period summary (小结) from the ledger; revoke-links makes every report link given so far stop working", usage: "--config FILE --period 2026-10|2026-Q4|2026 [--format md|html|xlsx|json] [-o FILE] | revoke-links --config FILE",
		run: (*Main).report, kindFirst: true, flags: func(fs *flag.FlagSet) {
			fs.String("period", "", "the period: a month (2026-10), a quarter (2026-Q4) or a year (2026)")
			fs.String("format", "md", "md, html, xlsx or json")
			fs.String("o", "", "write to this file instead of standard output")
		}},
	{name: "restore", summary: "replace the bbolt store file with a backup, after verifying it; refused while jifen serve holds the store (PostgreSQL: use pg_restore or point-in-time recovery)", usage: "--config FILE IN.db",
		run: (*Main).restore},
	{name: "rules", summary: "simulate a proposed rule catalog: replay a period's ledger under it and show the figures beside what happened; writes nothing",
		usage: "simulate --config FILE --catalog NEW.yaml --period 2026-10|2026-Q4|2026 [--format md|html|json] [-o FILE]",
		run:   (*Main).rulesCmd, kindFirst: true, flags: func(fs *flag.FlagSet) {
			fs.String("catalog", "", "the proposed catalog: a YAML file with a rules: section, as in the config")
			fs.String("period", "", "the period: a month (2026-10), a quarter (2026-Q4) or a year (2026)")
			fs.String("format", "md", "md, html or json")
			fs.String("o", "", "write to this file instead of standard output")
		}},
	{name: "schedule", summary: "list the scheduled posts with their next run, or run one now (--dry-run prints it)", usage: "list | run NAME [--dry-run] --config FILE",
		run: (*Main).scheduleCmd, kindFirst: true, flags: func(fs *flag.FlagSet) {
			fs.Bool("dry-run", false, "print the post instead of sending it")
		}},
	{name: "verify", summary: "recompute every aggregate from the ledger and report differences", usage: "--config FILE",
		run: (*Main).verify},
	{name: "backup", summary: "write a consistent copy of the bbolt store file, while the bot runs; an existing file is replaced only with --force (PostgreSQL: use pg_dump or point-in-time recovery)", usage: "--config FILE [--force] OUT.db",
		run: (*Main).backup, flags: func(fs *flag.FlagSet) {
			fs.Bool("force", false, "replace OUT.db if it exists")
		}},
	{name: "health", summary: "ask a running jifen serve whether it is ready (GET /readyz on the config's http.listen, or on --url): exit 0 if so, 1 with the failed checks if not; the container image's HEALTHCHECK", usage: "[--config FILE | --url URL]",
		run: (*Main).healthCmd, flags: func(fs *flag.FlagSet) {
			fs.String("url", "", "the readiness URL to ask instead of the config's, e.g. http://127.0.0.1:8080/readyz")
		}},
	{name: "store", summary: "copy everything one store holds into an empty one (bbolt to PostgreSQL and back), then prove both equal", usage: "copy --from URL --to URL", run: (*Main).storeCmd, kindFirst: true, noConfig: true, flags: storeFlags},
	{name: "version", summary: "print the version, the commit and date it was built from, and the Go version", usage: "",
		run: (*Main).versionCmd, noConfig: true},
}

// usageError is a mistake in the command line: print usage, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs the subcommand named in args and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if sc := find(args[1]); sc != nil {
				m.newFlags(*sc).Usage()
				return 0
			}
		}
		m.usage(m.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	sc := find(args[0])
	if sc == nil {
		fmt.Fprintf(m.Stderr, "jifen: unknown command %q\n\n", args[0])
		m.usage(m.Stderr)
		return 2
	}
	fs := m.newFlags(*sc)
	rest, lead := args[1:], []string(nil)
	for sc.kindFirst && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		lead, rest = append(lead, rest[0]), rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := sc.run(m, ctx, fs, append(lead, fs.Args()...)); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(m.Stderr, "jifen %s: %s\n\n", sc.name, ue.msg)
			fs.Usage()
			return 2
		}
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		fmt.Fprintf(m.Stderr, "jifen %s: %v\n", sc.name, err)
		return 1
	}
	return 0
}

// exitCode ends a subcommand with a code and nothing more to print.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func find(name string) *subcommand {
	for i := range subcommands {
		if subcommands[i].name == name {
			return &subcommands[i]
		}
	}
	return nil
}

func (m *Main) newFlags(sc subcommand) *flag.FlagSet {
	fs := flag.NewFlagSet("jifen "+sc.name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	if !sc.noConfig {
		fs.String("config", "config.yaml", "the configuration file (see config.example.yaml)")
	}
	if sc.flags != nil {
		sc.flags(fs)
	}
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: %s\n\n%s.\n\nFlags:\n", strings.TrimSpace("jifen "+sc.name+" "+sc.usage), capitalize(sc.summary))
		fs.PrintDefaults()
	}
	return fs
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, "jifen (积分) runs points-based performance management in Feishu and Slack.\n\nUsage: jifen <command> [flags]\n\nCommands:\n")
	names := make([]string, 0, len(subcommands))
	for _, sc := range subcommands {
		names = append(names, sc.name)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, find(n).summary)
	}
	fmt.Fprint(w, "\nRun 'jifen help <command>' or 'jifen <command> -h' for a command's flags.\n")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// app is the wired application: config, store and command core.
type app struct {
	cfg   *config.Config
	store store.Ledger
	bot   *bot.Bot
	// metrics is set by serve; nil elsewhere.
	metrics *metrics.Metrics
}

// scheduled counts a scheduled run in the metrics, when serving.
func (a *app) scheduled(job string, err error) {
	if a.metrics != nil {
		a.metrics.Scheduled(job, err)
	}
}

func (a *app) Close() error { return a.store.Close() }

// open loads the config and opens the store with the config's members and
// rule catalog registered.
func (m *Main) open(ctx context.Context, fs *flag.FlagSet) (*app, error) {
	return m.openStore(ctx, fs, false)
}

// openStore is open; noSync skips fsync on commit, for a bulk load that
// syncs and verifies at its end (jifen demo).
func (m *Main) openStore(ctx context.Context, fs *flag.FlagSet, noSync bool) (*app, error) {
	cfg, err := loadConfig(fs)
	if err != nil {
		return nil, err
	}
	m.logConfig = cfg.Log
	// serve logs the store's notes (a schema migration at start) at info,
	// like its own; the one-shot commands only warnings.
	level := slog.LevelWarn
	if m.serving {
		level = slog.LevelInfo
	}
	logger := m.logger(level)
	for _, w := range cfg.Warnings {
		logger.Warn("config: " + w.String())
	}
	st, err := m.openLedger(ctx, cfg, logger, noSync)
	if err != nil {
		return nil, err
	}
	// A store a copy was cut short in holds part of a ledger: serving it,
	// or reporting from it, would show wrong figures.
	if d, ok := st.(store.Dumper); ok {
		var un *store.ErrUnfinishedCopy
		if err := d.CheckDump(ctx); errors.As(err, &un) {
			st.Close()
			return nil, un
		}
	}
	if err := st.SyncMembers(ctx, cfg.Members); err != nil {
		st.Close()
		return nil, err
	}
	version, err := st.RegisterCatalog(ctx, cfg.Rules.Fingerprint(), cfg.Rules)
	if err != nil {
		st.Close()
		return nil, err
	}
	b := bot.New(bot.Options{Store: st, Catalog: cfg.Rules, CatalogVersion: version, Language: cfg.Language, Logger: logger, Surveys: cfg.Surveys,
		ScoreVisibility: cfg.Privacy.ScoreVisibility})
	return &app{cfg: cfg, store: st, bot: b}, nil
}

// openLedger opens the store the config chooses: the bbolt file, or the
// PostgreSQL database. A failure names the database by host, port and name,
// never with its password.
func (m *Main) openLedger(ctx context.Context, cfg *config.Config, logger *slog.Logger, noSync bool) (store.Ledger, error) {
	if cfg.Store.Driver != config.DriverPostgres {
		return store.Open(cfg.Store.Path, store.Options{Location: cfg.Location, Clock: m.Clock, Logger: logger, NoSync: noSync})
	}
	st, err := postgres.Open(ctx, cfg.Store.URL, postgres.Options{Location: cfg.Location, Clock: m.Clock, Logger: logger,
		AnswerKey: cfg.Store.AnswerKey})
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL store %s: %w", cfg.Store.Where(), err)
	}
	return st, nil
}

// loadConfig loads the file --config names. A newcomer who runs a command
// without --config and has no config.yaml yet is told how to start.
func loadConfig(fs *flag.FlagSet) (*config.Config, error) {
	path := fs.Lookup("config").Value.String()
	cfg, err := config.Load(path)
	if errors.Is(err, os.ErrNotExist) && !flagSet(fs, "config") {
		return nil, fmt.Errorf("no %s here: start from the example (cp config.example.yaml %s), or try it as it is with --config config.example.yaml", path, path)
	}
	return cfg, err
}

// flagSet reports whether the command line gave the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
