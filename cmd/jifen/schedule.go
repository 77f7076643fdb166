package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/bot/console"
	"jifen/bot/feishu"
	slackbot "jifen/bot/slack"
	"jifen/config"
	"jifen/roster"
	"jifen/schedule"
	"jifen/store"
)

// schedulerCaller is who scheduled posts run as: the bot itself, with the
// rights of an admin so it may build the digest.
var schedulerCaller = jifen.Member{ID: "jifen", Name: "jifen", Role: jifen.RoleAdmin, Bot: true}

// post builds a scheduled post: the leaderboard or the digest of the period
// that just ended at now. A store that could not be read is an error, not
// a post: the job is not claimed and runs again.
func post(ctx context.Context, b *bot.Bot, st store.Ledger, s config.Schedule, now time.Time, loc *time.Location) (bot.Message, error) {
	if s.Job == "celebrations" {
		return bot.Message{}, nil // written by Celebrate, which awards as it goes
	}
	p := jifen.PeriodOf(s.Period, now, loc).Previous(loc)
	if s.Job == "leaderboard" {
		var msg bot.Message
		err := st.Read(ctx, func(r store.Reader) error {
			msg = b.LeaderboardPostIn(r, p, s.Department, s.Top)
			return nil
		})
		return msg, err
	}
	resp := b.Handle(ctx, bot.Request{Caller: schedulerCaller, Text: "/report " + p.Key, Source: "schedule"})
	if resp.Failed || resp.Reply.Kind == "error" {
		return bot.Message{}, fmt.Errorf("the %s summary could not be made (see the log)", p.Key)
	}
	msg := resp.Reply
	msg.Public = true
	return msg, nil
}

// poster holds the enabled platforms' adapters: scheduled posts and
// direct messages are queued in the outbox for them (outbox.go).
type poster struct {
	slack  *slackbot.Adapter
	feishu *feishu.Adapter
}

// personal queues for every member the personal report of the period
// that ended at fire, and returns how many members it queued them for.
// Each report is named by the job, the fire time and the member, so a run
// again after a restart queues only those it had not.
func personal(ctx context.Context, a *app, p poster, s config.Schedule, fire time.Time, claim bool) (int, error) {
	loc := a.store.Location()
	period := jifen.PeriodOf(s.Period, fire, loc).Previous(loc)
	q := queuer(a.store, s, fire, claim)
	var members []jifen.Member
	if err := a.store.Read(ctx, func(r store.Reader) error {
		members = r.Members()
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, m := range members {
		if !reportsTo(m, period, fire, loc) || (m.SlackID == "" && m.FeishuOpenID == "") {
			continue
		}
		var report bot.Message
		if err := a.store.Read(ctx, func(r store.Reader) error {
			report = a.bot.PersonalReportIn(r, m, period)
			return nil
		}); err != nil {
			return n, err
		}
		msgs, err := p.toMember(m, report, keyOf(s, fire, m.ID))
		if err := q.add(ctx, msgs, err); err != nil {
			return n, err
		}
		if len(msgs) > 0 {
			n++
		}
	}
	return n, q.finish(ctx)
}

// reportsTo reports whether m gets a personal report of period at now:
// they worked in the period and still work here (nothing is sent to people
// who have left, or about a period before they joined).
func reportsTo(m jifen.Member, period jifen.Period, now time.Time, loc *time.Location) bool {
	return m.EmployedIn(period, loc) && !m.HasLeft(now, loc)
}

// queueNotices queues direct messages (reminders) for their members on
// every platform they are on, and returns how many it queued.
func queueNotices(ctx context.Context, a *app, p poster, ns []bot.Notice, cause string, q *queueChunked) (int, error) {
	to := make([]jifen.Member, len(ns))
	if err := a.store.Read(ctx, func(r store.Reader) error {
		for i, n := range ns {
			to[i], _ = r.Member(n.To)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for i, n := range ns {
		m := to[i]
		if m.ID == "" {
			continue
		}
		msgs, err := p.toMember(m, n.Message, fmt.Sprintf("%s:%d:%s", cause, i, m.ID))
		if err := q.add(ctx, msgs, err); err != nil {
			return q.queued, err
		}
	}
	err := q.finish(ctx)
	return q.queued, err
}

// backup writes a consistent copy of the store into the schedule's
// directory, named by its time, and keeps the newest Keep of them.
func backup(a *app, s config.Schedule, fire time.Time) (string, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(s.Dir, "jifen-"+fire.In(a.store.Location()).Format("20060102-1504")+".db")
	if _, err := backupTo(a.store, path); err != nil {
		return "", err
	}
	old, err := filepath.Glob(filepath.Join(s.Dir, "jifen-*.db"))
	if err != nil {
		return path, err
	}
	sort.Strings(old) // the names sort by time
	for len(old) > s.Keep {
		if err := os.Remove(old[0]); err != nil {
			return path, err
		}
		old = old[1:]
	}
	return path, nil
}

// reminders queues the allowance and approval reminders.
func reminders(ctx context.Context, a *app, p poster, s config.Schedule, fire time.Time, claim bool) (int, error) {
	ns, err := a.bot.Reminders()
	if err != nil {
		return 0, err
	}
	return queueNotices(ctx, a, p, ns, fmt.Sprintf("schedule:%s:%d", s.Name, fire.Unix()), queuer(a.store, s, fire, claim))
}

// queuePost queues a scheduled post for the schedule's conversations.
func (p poster) queuePost(ctx context.Context, st store.Ledger, s config.Schedule, msg bot.Message, fire time.Time, claim bool) error {
	q := queuer(st, s, fire, claim)
	msgs, err := p.toSchedule(s, msg, keyOf(s, fire, "post"))
	if err := q.add(ctx, msgs, err); err != nil {
		return err
	}
	return q.finish(ctx)
}

// scheduleTick is how often serve looks for due jobs.
const scheduleTick = schedule.DefaultTick

// runSchedules fires due posts until ctx ends, looking every scheduleTick.
// A failed send is retried with backoff (three tries) and logged.
//
// ticked, if not nil, is called at each look for due jobs, with the
// wall-clock time, for the readiness check.
func runSchedules(ctx context.Context, a *app, p poster, log *slog.Logger, now func() time.Time, ticked func(time.Time)) error {
	js, err := newJobs(a, p, log)
	if err != nil || js == nil {
		return err
	}
	tick := time.NewTicker(scheduleTick)
	defer tick.Stop()
	for {
		if ticked != nil {
			ticked(time.Now())
		}
		js.look(ctx, now)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// jobs are serve's scheduled jobs: the config's enabled schedules and the
// rounds of its scheduled surveys.
type jobs struct {
	a       *app
	p       poster
	log     *slog.Logger
	sch     *schedule.Scheduler
	posts   map[string]config.Schedule
	surveys map[string]string // job name → survey id
}

// newJobs reads the jobs of a's config; nil when there is nothing to
// look after (no schedule, and no survey whose rounds may need closing).
func newJobs(a *app, p poster, log *slog.Logger) (*jobs, error) {
	js := &jobs{a: a, p: p, log: log, posts: map[string]config.Schedule{}, surveys: map[string]string{}}
	var list []schedule.Job
	for _, s := range a.cfg.Schedules {
		if !s.Enabled {
			continue
		}
		sc, err := schedule.Parse(s.Cron)
		if err != nil {
			return nil, err
		}
		list = append(list, schedule.Job{Name: s.Name, Spec: s.Cron, Sched: sc, Grace: s.Grace})
		js.posts[s.Name] = s
	}
	// Surveys with a schedule start their rounds like any job, with the
	// default grace of a post.
	for _, sv := range a.cfg.Surveys {
		if sv.Schedule == "" {
			continue
		}
		sc, err := schedule.Parse(sv.Schedule)
		if err != nil {
			return nil, err
		}
		name := "survey:" + sv.ID
		list = append(list, schedule.Job{Name: name, Spec: sv.Schedule, Sched: sc, Grace: schedule.DefaultGrace})
		js.surveys[name] = sv.ID
	}
	if len(list) == 0 && len(a.cfg.Surveys) == 0 {
		return nil, nil
	}
	js.sch = &schedule.Scheduler{Runs: ledgerRuns{context.Background(), a.store}, Jobs: list, Location: a.store.Location(), Tick: scheduleTick}
	return js, nil
}

// look does what is due at now(): the survey reminders and closings, then
// each due job in turn, claimed just before it runs, so that a restart
// during one job leaves the jobs after it due for the next process.
func (js *jobs) look(ctx context.Context, now func() time.Time) {
	a, log := js.a, js.log
	due := js.sch.Due(now())
	// Survey reminders and closings due now (each claimed once, its
	// messages queued with the claim).
	if _, err := a.bot.SurveyTick(ctx, now()); err != nil {
		log.Error("survey tick", "err", err)
	}
	for _, f := range due {
		if ctx.Err() != nil {
			return
		}
		var err error
		if id, ok := js.surveys[f.Job.Name]; ok {
			// The round's key makes a second start for the same fire
			// (after a restart before the claim) a replay: it starts,
			// then it is claimed.
			if err = startSurvey(ctx, a, id, f.Job.Name, f.At, log); err == nil {
				_, err = js.sch.Claim(ctx, f)
			}
		} else {
			err = runJob(ctx, a, js.p, js.posts[f.Job.Name], f.At, true, log)
			if errors.Is(err, errClaimed) {
				continue // run by a racing process
			}
		}
		a.scheduled(f.Job.Name, err)
	}
}

// queuesMessages reports whether a job does nothing but queue messages
// (and, for celebrations, awards under keys of their own): run again for
// the same fire it queues only what it had not, so it is claimed with its
// last message.
func queuesMessages(job string) bool {
	switch job {
	case "backup", "sync":
		return false
	}
	return true
}

// startSurvey starts a scheduled survey round; its cards are queued with
// it.
func startSurvey(ctx context.Context, a *app, id, name string, fire time.Time, log *slog.Logger) error {
	resp, err := a.bot.StartSurvey(ctx, id, fmt.Sprintf("schedule:%s:%d", name, fire.Unix()))
	if err != nil {
		log.Error("scheduled survey failed", "survey", id, "err", err)
		return err
	}
	log.Info("survey started", "survey", id, "audience", len(resp.Notices))
	return nil
}

// runJob runs one scheduled job that fired at fire. Posts and direct
// messages are queued in the outbox, which sends them.
//
// With claim, a job that queues messages claims its run in the transaction
// that queues its last ones (queueChunked), and the other jobs are claimed
// before they run; without, the caller has claimed it (or runs it by hand).
func runJob(ctx context.Context, a *app, p poster, s config.Schedule, fire time.Time, claim bool, log *slog.Logger) error {
	if claim && !queuesMessages(s.Job) {
		ok, err := a.store.ClaimRun(ctx, s.Name, fire)
		if err != nil || !ok {
			return err // !ok: run by an earlier or a racing process
		}
		claim = false
	}
	switch s.Job {
	case "personal":
		n, err := personal(ctx, a, p, s, fire, claim)
		if err != nil {
			log.Error("personal reports failed", "schedule", s.Name, "queued", n, "err", err)
			return err
		}
		log.Info("personal reports queued", "schedule", s.Name, "members", n)
		return nil
	case "backup":
		path, err := backup(a, s, fire)
		if err != nil {
			log.Error("scheduled backup failed", "schedule", s.Name, "err", err)
			return err
		}
		log.Info("scheduled backup written", "schedule", s.Name, "path", path)
		return nil
	case "reminders":
		n, err := reminders(ctx, a, p, s, fire, claim)
		log.Info("reminders queued", "schedule", s.Name, "queued", n, "err", err)
		return err
	case "sync":
		plan, err := planSync(ctx, a, p, roster.Platform(s.From))
		if err == nil {
			err = a.store.PutMembers(ctx, plan.Write)
		}
		if err != nil {
			log.Error("members sync failed", "schedule", s.Name, "from", s.From, "err", err)
			return err
		}
		// Counts only: names and emails stay out of the log.
		log.Info("members synced", "schedule", s.Name, "from", s.From, "written", len(plan.Write),
			"new", plan.Count(roster.New), "linked", plan.Count(roster.Linked), "left", plan.Count(roster.Left), "notes", len(plan.Notes))
		return nil
	}
	msg, err := post(ctx, a.bot, a.store, s, fire, a.store.Location())
	if err != nil {
		log.Error("scheduled post failed", "schedule", s.Name, "fire", fire, "err", err)
		return err
	}
	if s.Job == "celebrations" {
		m, n, err := a.bot.Celebrate(ctx, fire, bot.Celebrations{Anniversary: s.Anniversary, Birthday: s.Birthday})
		log.Info("celebrations awarded", "schedule", s.Name, "awards", n, "err", err)
		if err != nil || n == 0 {
			return err // nothing new to post
		}
		msg = m
	}
	if err := p.queuePost(ctx, a.store, s, msg, fire, claim); err != nil {
		log.Error("scheduled post failed", "schedule", s.Name, "fire", fire, "err", err)
		return err
	}
	log.Info("scheduled post queued", "schedule", s.Name, "fire", fire)
	return nil
}

// scheduleCmd runs `jifen schedule list` and `jifen schedule run NAME
// [--dry-run]`.
func (m *Main) scheduleCmd(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "run") || (args[0] == "run" && len(args) != 2) {
		return usageError{"want: list, or run NAME"}
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	loc, now := a.store.Location(), a.store.Now()
	if args[0] == "list" {
		// Surveys with a schedule start their rounds as jobs too.
		type job struct {
			name, kind, spec string
			enabled          bool
		}
		var jobs []job
		for _, s := range a.cfg.Schedules {
			jobs = append(jobs, job{s.Name, s.Job, s.Cron, s.Enabled})
		}
		for _, sv := range a.cfg.Surveys {
			if sv.Schedule != "" {
				jobs = append(jobs, job{"survey:" + sv.ID, "survey", sv.Schedule, true})
			}
		}
		if len(jobs) == 0 {
			fmt.Fprintln(m.Stdout, "no schedules in the config")
		}
		lastRun := make([]time.Time, len(jobs))
		if err := a.store.Read(ctx, func(r store.Reader) error {
			for i, j := range jobs {
				lastRun[i] = r.LastRun(j.name)
			}
			return nil
		}); err != nil {
			return err
		}
		for i, j := range jobs {
			sc, err := schedule.Parse(j.spec)
			if err != nil {
				return err
			}
			next := "disabled"
			if j.enabled {
				next = sc.Next(now.In(loc)).Format("2006-01-02 15:04 MST")
			}
			last := "never"
			if t := lastRun[i]; !t.IsZero() {
				last = t.In(loc).Format("2006-01-02 15:04")
			}
			fmt.Fprintf(m.Stdout, "%-22s %-12s %-16q next %-22s last %s\n", j.name, j.kind, j.spec, next, last)
		}
		return nil
	}
	var s *config.Schedule
	for i := range a.cfg.Schedules {
		if a.cfg.Schedules[i].Name == args[1] {
			s = &a.cfg.Schedules[i]
		}
	}
	if s == nil {
		return usageError{fmt.Sprintf("no schedule %q", args[1])}
	}
	if fs.Lookup("dry-run").Value.String() == "true" {
		return m.dryRun(ctx, a, *s, now)
	}
	if s.Job == "sync" {
		return m.syncMembers(ctx, a, roster.Platform(s.From), false)
	}
	if s.Job == "backup" {
		path, err := backup(a, *s, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "backup written: %s\n", path)
		return nil
	}
	p, err := m.posters(a, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if p.slack == nil && p.feishu == nil {
		return usageError{"no platform is enabled; use --dry-run to see the post"}
	}
	a.bot.SetPlatforms(p.platforms()...)
	switch s.Job {
	case "personal":
		n, err := personal(ctx, a, p, *s, now, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "queued personal reports for %d members\n", n)
	case "reminders":
		n, err := reminders(ctx, a, p, *s, now, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "queued %d reminders\n", n)
	case "celebrations":
		if err := runJob(ctx, a, p, *s, now, false, m.logger(slog.LevelWarn)); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "celebrations done")
	default:
		msg, err := post(ctx, a.bot, a.store, *s, now, loc)
		if err != nil {
			return err
		}
		if err := p.queuePost(ctx, a.store, *s, msg, now, false); err != nil {
			return err
		}
	}
	// No server runs while this command holds the store: send what was
	// queued now, and leave what could not go for the next `jifen serve`.
	if left := drain(ctx, a.store, p, m.logger(slog.LevelWarn)); left > 0 {
		fmt.Fprintf(m.Stdout, "%d messages not sent yet; jifen serve will send them\n", left)
	} else {
		fmt.Fprintln(m.Stdout, "sent")
	}
	return nil
}

// dryRun shows what a scheduled job would post or write, and does nothing.
func (m *Main) dryRun(ctx context.Context, a *app, s config.Schedule, now time.Time) error {
	loc := a.store.Location()
	switch s.Job {
	case "personal":
		period := jifen.PeriodOf(s.Period, now, loc).Previous(loc)
		n := 0
		var shown []bot.Message
		if err := a.store.Read(ctx, func(r store.Reader) error {
			for _, mb := range r.Members() {
				if !reportsTo(mb, period, now, loc) {
					continue
				}
				if n < 3 {
					shown = append(shown, a.bot.PersonalReportIn(r, mb, period))
				}
				n++
			}
			return nil
		}); err != nil {
			return err
		}
		for _, msg := range shown {
			fmt.Fprint(m.Stdout, console.Render(msg), "\n")
		}
		fmt.Fprintf(m.Stdout, "(%d personal reports)\n", n)
	case "backup":
		fmt.Fprintf(m.Stdout, "would write a backup into %s, keeping the newest %d\n", s.Dir, s.Keep)
	case "sync":
		return m.syncMembers(ctx, a, roster.Platform(s.From), true)
	case "reminders":
		ns, err := a.bot.Reminders()
		if err != nil {
			return err
		}
		for _, n := range ns {
			fmt.Fprintf(m.Stdout, "→ %s\n%s", n.To, console.Render(n.Message))
		}
		fmt.Fprintf(m.Stdout, "(%d reminders)\n", len(ns))
	case "celebrations":
		due, err := a.bot.Occasions(now, bot.Celebrations{Anniversary: s.Anniversary, Birthday: s.Birthday})
		if err != nil {
			return err
		}
		for _, o := range due {
			fmt.Fprintln(m.Stdout, a.bot.Line(o))
		}
		fmt.Fprintf(m.Stdout, "(%d celebrations today; one already given today is not given again)\n", len(due))
	default:
		msg, err := post(ctx, a.bot, a.store, s, now, loc)
		if err != nil {
			return err
		}
		fmt.Fprint(m.Stdout, console.Render(msg))
	}
	return nil
}

// posters builds the enabled platforms' adapters.
func (m *Main) posters(a *app, log *slog.Logger) (poster, error) {
	var p poster
	var err error
	if c := a.cfg.Slack; c.Enabled {
		if p.slack, err = slackbot.New(slackbot.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log}); err != nil {
			return p, err
		}
	}
	if c := a.cfg.Feishu; c.Enabled {
		if p.feishu, err = feishu.New(feishu.Options{Bot: a.bot, Store: a.store, Config: c, Logger: log}); err != nil {
			return p, err
		}
	}
	return p, nil
}

// ledgerRuns is the scheduler's record of runs. A last run whose read
// fails is none: the scheduler may then think a fire due that ran, and
// the claim the job makes before it runs refuses it.
type ledgerRuns struct {
	ctx context.Context
	store.Ledger
}

func (l ledgerRuns) LastRun(name string) (t time.Time) {
	if err := l.Read(l.ctx, func(r store.Reader) error {
		t = r.LastRun(name)
		return nil
	}); err != nil {
		return time.Time{}
	}
	return t
}
