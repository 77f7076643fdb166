package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// Celebrations are the behaviors a celebrations schedule awards: on each
// work anniversary (the day a member joined, from the first year on) and
// on a member's birthday (members' birthday, MM-DD). An empty id: that
// occasion is not celebrated.
type Celebrations struct {
	Anniversary string
	Birthday    string
}

// celebrationGiver is who the day's celebrations are given by: the bot,
// with an admin's rights (no allowance, no approval).
var celebrationGiver = jifen.Member{ID: "jifen", Name: "jifen", Role: jifen.RoleAdmin, Bot: true}

// Occasion is a celebration due on a day: a member's work anniversary
// (Years: how many) or birthday, and the behavior it awards.
type Occasion struct {
	Kind     string // anniversary or birthday
	Member   jifen.Member
	Years    int
	Behavior *rules.Behavior
	key      string // the award's idempotency key: occasion, member, day
}

// Occasions lists the celebrations due on the local day that holds at: the
// members employed that day whose work anniversary (a year or more since
// they joined) or birthday it is, for the occasions c names.
func (b *Bot) Occasions(at time.Time, c Celebrations) ([]Occasion, error) {
	var members []jifen.Member
	err := b.st.Read(context.Background(), func(r store.Reader) error {
		members = r.Members()
		return nil
	})
	if err != nil {
		return nil, err
	}
	loc := b.st.Location()
	day := at.In(loc)
	var out []Occasion
	for _, m := range members {
		if m.Bot || !m.EmployedOn(day, loc) {
			continue
		}
		years := anniversaryYears(m.Joined, day)
		for _, o := range []struct {
			kind, behavior string
			due            bool
		}{{"anniversary", c.Anniversary, years > 0}, {"birthday", c.Birthday, m.Birthday != "" && onDay(m.Birthday, day)}} {
			if o.behavior == "" || !o.due {
				continue
			}
			bh := b.cat.Behavior(o.behavior)
			if bh == nil {
				return nil, fmt.Errorf("celebrations: unknown behavior %q", o.behavior)
			}
			out = append(out, Occasion{Kind: o.kind, Member: m, Years: years, Behavior: bh,
				key: fmt.Sprintf("celebrate:%s:%s:%s", o.kind, m.ID, day.Format(time.DateOnly))})
		}
	}
	return out, nil
}

// Line is how the day's post names an occasion.
func (b *Bot) Line(o Occasion) string {
	return b.t("celebrate."+o.Kind, o.Member.Name, o.Years, o.Behavior.Min, o.Behavior.Name)
}

// Celebrate awards the day's occasions (see Occasions), each through the
// same checks as any award (the receiver employed that day, the
// behavior's limits), once: each award has its own key, so a second run,
// a restart or a catch-up applies nothing again. It returns the day's
// post, listing the awards this run applied (none: an empty message), and
// how many that is. An award the rules refuse is logged and left out.
func (b *Bot) Celebrate(ctx context.Context, at time.Time, c Celebrations) (Message, int, error) {
	due, err := b.Occasions(at, c)
	if err != nil {
		return Message{}, 0, err
	}
	var lines []string
	for _, o := range due {
		applied, err := b.celebrate(ctx, o.key, o.Member, o.Behavior)
		if err != nil {
			if ctx.Err() != nil {
				return Message{}, len(lines), ctx.Err()
			}
			var je *jifen.Error
			if !errors.As(err, &je) {
				return Message{}, len(lines), err
			}
			b.log.Warn("celebration refused", "member", o.Member.ID, "occasion", o.Kind, "code", string(je.Code))
			continue
		}
		if applied {
			lines = append(lines, b.Line(o))
		}
	}
	if len(lines) == 0 {
		return Message{}, 0, nil
	}
	title := b.t("celebrate.title", at.In(b.st.Location()).Format(time.DateOnly))
	return Message{Kind: string(jifen.KindAward), Title: title, Text: lines, Public: true}, len(lines), nil
}

// celebrate applies one celebration award under key, as any award is
// applied (apply: the receiver employed, the behavior's limits); applied
// is false when the key was already used (a second run) or the award
// waits for an approval.
func (b *Bot) celebrate(ctx context.Context, key string, m jifen.Member, bh *rules.Behavior) (applied bool, err error) {
	resp, err := b.apply(ctx, key, nil, awardPlan{kind: jifen.KindAward, giver: celebrationGiver, receivers: []jifen.Member{m},
		behavior: bh, points: bh.Min, reason: bh.Name, source: "celebration"})
	return err == nil && !resp.Replayed && len(resp.Entries) > 0, err
}

// anniversaryYears is how many years a member who joined on joined (a date
// at midnight UTC) has worked on day, when day is their work anniversary;
// 0 otherwise (or on the day they joined). Someone who joined on 29
// February celebrates on 28 February in other years.
func anniversaryYears(joined, day time.Time) int {
	if joined.IsZero() {
		return 0
	}
	y, m, d := joined.Date()
	if !sameDay(m, d, day) || day.Year() <= y {
		return 0
	}
	return day.Year() - y
}

// onDay reports whether a birthday (MM-DD) falls on day.
func onDay(birthday string, day time.Time) bool {
	t, err := time.Parse("01-02", birthday)
	if err != nil {
		return false
	}
	return sameDay(t.Month(), t.Day(), day)
}

// sameDay reports whether the month and day fall on day (29 February on
// 28 February of a year without one).
func sameDay(m time.Month, d int, day time.Time) bool {
	if m == time.February && d == 29 && !isLeap(day.Year()) {
		d = 28
	}
	return day.Month() == m && day.Day() == d
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
