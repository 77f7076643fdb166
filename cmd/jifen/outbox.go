package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/bot/feishu"
	slackbot "jifen/bot/slack"
	"jifen/config"
	"jifen/outbox"
	"jifen/store"
)

// Each platform's pace for the outbox. Feishu allows 50 messages a second
// per app and 5 a second to one user or chat; Slack about one a second to
// one conversation, with the app's overall pace set by its 429s (the
// sender waits as long as a 429 asks).
var (
	feishuPace = pace{rate: 45, perReceiver: 200 * time.Millisecond}
	slackPace  = pace{rate: 20, perReceiver: time.Second}
)

type pace struct {
	rate        float64
	perReceiver time.Duration
}

// platforms are the enabled platforms, in the names of the outbox.
func (p poster) platforms() []string {
	var out []string
	if p.slack != nil {
		out = append(out, "slack")
	}
	if p.feishu != nil {
		out = append(out, "feishu")
	}
	return out
}

// senders returns the outbox's sender for each enabled platform.
func (p poster) senders(st store.Ledger, log *slog.Logger, observe func(platform, outcome string)) []*outbox.Sender {
	var out []*outbox.Sender
	add := func(platform string, deliver outbox.Deliver, pc pace) {
		out = append(out, outbox.New(outbox.Options{Store: st, Platform: platform, Deliver: deliver, Rate: pc.rate,
			PerReceiver: pc.perReceiver, Logger: log, Observe: func(outcome string) {
				if observe != nil {
					observe(platform, outcome)
				}
			}}))
	}
	if p.slack != nil {
		add("slack", p.slack.Deliver, slackPace)
	}
	if p.feishu != nil {
		add("feishu", p.feishu.Deliver, feishuPace)
	}
	return out
}

// toMember is a direct message to m on every enabled platform they are on;
// key names it (with the platform) for the outbox and Feishu's uuid.
func (p poster) toMember(m jifen.Member, msg bot.Message, key string) ([]store.Outgoing, error) {
	if m.Bot {
		return nil, nil
	}
	var out []store.Outgoing
	for _, platform := range p.platforms() {
		if platform == "slack" && m.SlackID == "" || platform == "feishu" && m.FeishuOpenID == "" {
			continue
		}
		o, err := bot.Outgoing(platform, m.ID, msg, key)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// toSchedule is a scheduled post to the schedule's conversations.
func (p poster) toSchedule(s config.Schedule, msg bot.Message, key string) ([]store.Outgoing, error) {
	var out []store.Outgoing
	if p.slack != nil && s.SlackChannel != "" {
		o, err := slackbot.Outgoing(slackbot.Address{Channel: s.SlackChannel}, msg, key)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if p.feishu != nil && s.FeishuChat != "" {
		o, err := feishu.Outgoing(feishu.Address{IDType: "chat_id", ID: s.FeishuChat}, msg, key)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// queueChunked queues messages a thousand to a transaction, so that a job
// for ten thousand members holds neither all of them in memory nor one
// long write; each message's key makes a job run again after a restart
// queue only what it had not.
//
// With claim set, the last transaction also claims the job's run (claim
// at fire): a job whose process stops half-way is still due at the next
// start, and queues the rest then.
type queueChunked struct {
	st      store.Ledger
	pending []store.Outgoing
	queued  int
	claim   string
	fire    time.Time
}

// errClaimed: the run was claimed by another process meanwhile; this one
// queued nothing more.
var errClaimed = errors.New("the run was claimed by another process")

func (q *queueChunked) add(ctx context.Context, msgs []store.Outgoing, err error) error {
	if err != nil {
		return err
	}
	q.pending = append(q.pending, msgs...)
	if len(q.pending) >= 1000 {
		return q.flush(ctx)
	}
	return nil
}

func (q *queueChunked) flush(ctx context.Context) error {
	if len(q.pending) == 0 {
		return nil
	}
	if err := q.st.Enqueue(ctx, q.pending...); err != nil {
		return err
	}
	q.queued += len(q.pending)
	q.pending = q.pending[:0]
	return nil
}

// finish queues what is left, claiming the run if asked to.
func (q *queueChunked) finish(ctx context.Context) error {
	if q.claim == "" {
		return q.flush(ctx)
	}
	_, _, err := q.st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
		ok, err := tx.ClaimRun(q.claim, q.fire)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errClaimed
		}
		for _, o := range q.pending {
			if _, err := tx.Enqueue(o); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err == nil {
		q.queued += len(q.pending)
		q.pending = q.pending[:0]
	}
	return err
}

// queuer is a queueChunked for scheduled run s at fire, which claims it
// when claim is true.
func queuer(st store.Ledger, s config.Schedule, fire time.Time, claim bool) *queueChunked {
	q := &queueChunked{st: st}
	if claim {
		q.claim, q.fire = s.Name, fire
	}
	return q
}

// drain sends the outbox until it is empty or ctx ends (for `jifen
// schedule run`, which has no server to send it later), and returns how
// many messages are left.
func drain(ctx context.Context, st store.Ledger, p poster, log *slog.Logger) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	ss := p.senders(st, log, nil)
	for _, s := range ss {
		go func() { s.Run(ctx); done <- struct{}{} }()
	}
	// A count that failed is taken as messages left: the senders go on
	// until it succeeds or ctx ends.
	left := func() int {
		n := 0
		for _, pl := range p.platforms() {
			c, err := st.OutboxLen(pl)
			if err != nil {
				log.Warn("outbox: count the messages waiting", "platform", pl, "err", err)
				c = 1
			}
			n += c
		}
		return n
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for left() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	n := left()
	cancel()
	for range ss {
		<-done
	}
	return n
}

// keyOf names a scheduled job's message: the job, its fire time and who
// or where it goes.
func keyOf(s config.Schedule, fire time.Time, to string) string {
	return fmt.Sprintf("schedule:%s:%d:%s", s.Name, fire.Unix(), to)
}
