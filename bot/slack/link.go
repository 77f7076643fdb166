package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/store"
)

// lookupPace spaces users.lookupByEmail calls: the method is Tier 3
// (about 50 a minute), and start-up is no reason to spend the app's whole
// allowance. A 429 that still comes is waited out by the client (apiRetry).
const lookupPace = 1200 * time.Millisecond

// LinkByEmail links each member who has an email but no Slack id to the
// workspace user with that email (users.lookupByEmail, users:read.email),
// so that direct messages (personal reports, survey cards) reach them
// before they first use jifen. It is what first contact does (byEmail),
// done ahead: a deactivated account, a bot or a guest slack.guests does
// not allow is not linked, and store.LinkMember never replaces an id nor
// shares one another member holds. It logs counts only, never an email
// or a name, and stops at the first error other than users_not_found.
func (a *Adapter) LinkByEmail(ctx context.Context) (linked int, err error) {
	var todo []jifen.Member
	if err := a.st.Read(ctx, func(r store.Reader) error {
		now := r.Now()
		for _, m := range r.Members() {
			if m.Email != "" && m.SlackID == "" && !m.Bot && !m.HasLeft(now, r.Location()) {
				todo = append(todo, m)
			}
		}
		return nil
	}); err != nil {
		return 0, err
	}
	if len(todo) == 0 {
		return 0, nil
	}
	notFound, skipped := 0, 0
	defer func() {
		a.log.Info("linked members by email", "looked_up", len(todo), "linked", linked, "not_found", notFound, "skipped", skipped)
	}()
	for i, m := range todo {
		if i > 0 && a.lookupPace > 0 {
			select {
			case <-ctx.Done():
				return linked, ctx.Err()
			case <-time.After(a.lookupPace):
			}
		}
		u, err := a.api.GetUserByEmailContext(ctx, m.Email)
		var se slackapi.SlackErrorResponse
		switch {
		case errors.As(err, &se) && se.Err == "users_not_found":
			notFound++
			continue
		case err != nil:
			if ctx.Err() != nil {
				return linked, ctx.Err()
			}
			return linked, fmt.Errorf("users.lookupByEmail: %w", err)
		}
		if u.Deleted || u.IsBot || u.ID == "USLACKBOT" {
			skipped++
			continue
		}
		if ok, err := a.admitted(ctx, u); err != nil {
			return linked, err
		} else if !ok {
			skipped++
			continue
		}
		// The id may be another member's, or the member linked meanwhile
		// (first contact, members sync): then nothing is linked.
		switch ok, err := a.st.TryLinkMember(ctx, m.ID, jifen.Member{SlackID: u.ID}); {
		case err != nil:
			return linked, fmt.Errorf("link member %s: %w", m.ID, err)
		case ok:
			linked++
		default:
			skipped++
		}
	}
	return linked, nil
}
