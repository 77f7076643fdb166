package bot

import (
	"time"

	"jifen"
)

// Points move only between people employed on the day: a member who has
// left (jifen.Member.Left before today) neither gives, receives nor spends
// points, and a member who has not joined yet (Joined after today) receives
// none. Their past entries stay, and so may be revoked. Dates are the
// members' calendar dates in the store's zone.

// dateText renders a member date (a calendar date stored as midnight UTC).
func dateText(d time.Time) string { return d.Format("2006-01-02") }

// employment names what a check refuses, for the giver, a receiver or a
// redeemer: the error code, the message keys for someone who has left and
// for someone who has not joined yet, and whether the messages name them.
type employment struct {
	code            jifen.Code
	left, notJoined string
	named           bool
}

var (
	asGiver    = employment{jifen.EFORBIDDEN, "err.giver_left", "err.giver_not_joined", false}
	asReceiver = employment{jifen.EINVALID, "err.receiver_left", "err.receiver_not_joined", true}
	asRedeemer = employment{jifen.EFORBIDDEN, "err.redeem_left", "err.redeem_not_joined", false}
)

// check refuses m in this part when m is not employed on the day of now.
func (e employment) check(m jifen.Member, now time.Time, loc *time.Location) error {
	args := func(d time.Time) []any {
		if e.named {
			return []any{m.Name, dateText(d)}
		}
		return []any{dateText(d)}
	}
	switch {
	case m.HasLeft(now, loc):
		return jifen.Errorf(e.code, e.left, args(m.Left)...)
	case !m.EmployedOn(now, loc) && !m.Bot:
		return jifen.Errorf(e.code, e.notJoined, args(m.Joined)...)
	}
	return nil
}

// checkGiver refuses a giver who is not employed today.
func checkGiver(m jifen.Member, now time.Time, loc *time.Location) error {
	return asGiver.check(m, now, loc)
}

// checkReceiver refuses a receiver who is not employed today.
func checkReceiver(m jifen.Member, now time.Time, loc *time.Location) error {
	return asReceiver.check(m, now, loc)
}

// checkRedeemer refuses a redemption by a member not employed today.
func checkRedeemer(m jifen.Member, now time.Time, loc *time.Location) error {
	return asRedeemer.check(m, now, loc)
}
