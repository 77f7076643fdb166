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

// checkGiver refuses a giver who is not employed today.
func checkGiver(m jifen.Member, now time.Time, loc *time.Location) error {
	switch {
	case m.HasLeft(now, loc):
		return jifen.Errorf(jifen.EFORBIDDEN, "err.giver_left", dateText(m.Left))
	case !m.EmployedOn(now, loc) && !m.Bot:
		return jifen.Errorf(jifen.EFORBIDDEN, "err.giver_not_joined", dateText(m.Joined))
	}
	return nil
}

// checkReceiver refuses a receiver who is not employed today.
func checkReceiver(m jifen.Member, now time.Time, loc *time.Location) error {
	switch {
	case m.HasLeft(now, loc):
		return jifen.Errorf(jifen.EINVALID, "err.receiver_left", m.Name, dateText(m.Left))
	case !m.EmployedOn(now, loc) && !m.Bot:
		return jifen.Errorf(jifen.EINVALID, "err.receiver_not_joined", m.Name, dateText(m.Joined))
	}
	return nil
}

// checkRedeemer refuses a redemption by a member not employed today.
func checkRedeemer(m jifen.Member, now time.Time, loc *time.Location) error {
	switch {
	case m.HasLeft(now, loc):
		return jifen.Errorf(jifen.EFORBIDDEN, "err.redeem_left", dateText(m.Left))
	case !m.EmployedOn(now, loc) && !m.Bot:
		return jifen.Errorf(jifen.EFORBIDDEN, "err.redeem_not_joined", dateText(m.Joined))
	}
	return nil
}
