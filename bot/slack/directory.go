package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"jifen/roster"
	"jifen/store"
)

// Directory reads the workspace's users (users.list, 200 a page, by
// cursor, waiting out rate limits) for `jifen members sync`. Emails come
// with the users:read.email scope. Slack has no departments: people come
// without one. Guests and people of other organisations jifen does not
// know are left out as registration leaves them out, unless slack.guests
// allows their kind.
func (a *Adapter) Directory(ctx context.Context) ([]roster.Person, error) {
	// The members jifen knows by Slack id, read once.
	known := map[string]bool{}
	if err := a.st.Read(ctx, func(r store.Reader) error {
		for _, m := range r.Members() {
			if m.SlackID != "" {
				known[m.SlackID] = true
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []roster.Person
	p := a.api.GetUsersPaginated(slackapi.GetUsersOptionLimit(200))
	for tries := 0; ; {
		next, err := p.Next(ctx)
		if p.Done(err) {
			break
		}
		var rl *slackapi.RateLimitedError
		if errors.As(err, &rl) && tries < 5 {
			tries++
			wait := max(rl.RetryAfter, time.Second)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("users.list: %w", err)
		}
		tries, p = 0, next
		for i := range p.Users {
			u := &p.Users[i]
			// A member jifen knows stays in, guest or not: the config's
			// members are never refused, and one deactivated is marked.
			if !known[u.ID] {
				if ok, err := a.admitted(ctx, u); err != nil {
					return nil, err
				} else if !ok {
					continue
				}
			}
			out = append(out, roster.Person{ID: u.ID, Name: displayName(u), Email: u.Profile.Email,
				Inactive: u.Deleted, Bot: u.IsBot || u.ID == "USLACKBOT"})
		}
	}
	return out, nil
}

// admitted reports whether registration would admit u: not a guest nor of
// another organisation, unless slack.guests allows their kind.
func (a *Adapter) admitted(ctx context.Context, u *slackapi.User) (bool, error) {
	if u.IsBot || u.ID == "USLACKBOT" {
		return true, nil
	}
	kinds, err := a.guestKinds(ctx, u)
	if err != nil {
		return false, fmt.Errorf("auth.test: %w", err)
	}
	allowed := map[string]bool{"restricted": a.cfg.Guests.Restricted, "ultra_restricted": a.cfg.Guests.UltraRestricted,
		"external": a.cfg.Guests.External}
	for _, k := range kinds {
		if !allowed[k] {
			return false, nil
		}
	}
	return true, nil
}
