package bot

import (
	"context"
	"fmt"
	"strconv"

	"jifen"
	"jifen/store"
)

const (
	historyDefault = 10
	historyMax     = 50
)

// history handles /history [@a] [n]: the latest entries received, newest first.
func (b *Bot) history(ctx context.Context, req Request, cmd Command) (Response, error) {
	target, n := req.Caller, historyDefault
	for _, a := range cmd.Args {
		if isMention(a) {
			m, err := req.Resolve(a)
			if err != nil {
				return Response{}, err
			}
			target = m
			continue
		}
		v, err := strconv.Atoi(a)
		if err != nil || v < 1 || v > historyMax {
			return Response{}, jifen.Errorf(jifen.EINVALID, "err.history_count", a, historyMax)
		}
		n = v
	}
	if !canSeePrivate(req.Caller, target) {
		return Response{}, jifen.Errorf(jifen.EFORBIDDEN, "err.private_history", target.Name)
	}
	var msg Message
	err := b.st.Read(ctx, func(r store.Reader) error {
		msg = b.historyMessage(r, target, n)
		return nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg}, nil
}

// historyMessage is /history's reply: target's latest n entries, read
// from r.
func (b *Bot) historyMessage(r store.Reader, target jifen.Member, n int) Message {
	entries := r.History(target.ID, n)
	msg := Message{Kind: "history", Title: b.t("history.title", target.Name)}
	if len(entries) == 0 {
		msg.Text = []string{b.t("history.empty")}
		return msg
	}
	msg.Table = &Table{Columns: []string{b.t("col.entry"), b.t("col.time"), b.t("col.kind"), b.t("col.points"),
		b.t("col.behavior"), b.t("col.giver"), b.t("col.reason")}}
	loc := r.Location()
	for _, e := range entries {
		kind := b.t("kind." + string(e.Kind))
		if _, by, _ := r.Entry(e.ID); by != 0 {
			kind = b.t("history.revoked", kind, by)
		}
		if e.Kind == jifen.KindRevoke {
			kind = b.t("history.reverses", kind, e.Reverses)
		}
		msg.Table.Rows = append(msg.Table.Rows, []string{
			fmt.Sprintf("#%d", e.ID), e.At.In(loc).Format("2006-01-02 15:04"), kind, signed(e.Points),
			b.behaviorName(e.Behavior), memberName(r, e.Giver), e.Reason,
		})
	}
	return msg
}
