package slack

import (
	"context"
	"errors"

	slackapi "github.com/slack-go/slack"

	"jifen"
)

// guestKinds are the kinds of Slack user who are not full members of the
// app's own workspace (see config.Guests): single- and multi-channel
// guests, and people of another organisation — Slack Connect users, whose
// team_id is another workspace's, and strangers (is_stranger, not even in
// a shared channel). A user of another workspace of the same Enterprise
// Grid organisation is no stranger.
func (a *Adapter) guestKinds(ctx context.Context, u *slackapi.User) ([]string, error) {
	var kinds []string
	switch {
	case u.IsUltraRestricted:
		kinds = append(kinds, "ultra_restricted")
	case u.IsRestricted:
		kinds = append(kinds, "restricted")
	}
	if u.IsStranger {
		return append(kinds, "external"), nil
	}
	home, err := a.homeTeam(ctx)
	if err != nil {
		return nil, err
	}
	sameOrg := u.TeamID == "" || u.TeamID == home.TeamID ||
		(home.EnterpriseID != "" && u.Enterprise.EnterpriseID == home.EnterpriseID)
	if !sameOrg {
		kinds = append(kinds, "external")
	}
	return kinds, nil
}

// admit refuses a user jifen does not know yet who is a guest or from
// another organisation, unless slack.guests allows every kind they are.
// Nothing is written for a refused user.
func (a *Adapter) admit(ctx context.Context, userID string, u *slackapi.User) error {
	kinds, err := a.guestKinds(ctx, u)
	if err != nil {
		a.log.Warn("auth.test failed: cannot tell guests from members", "err", err)
		return jifen.Errorf(jifen.EINVALID, "err.unknown_member", "<@"+userID+">")
	}
	allowed := map[string]bool{"restricted": a.cfg.Guests.Restricted, "ultra_restricted": a.cfg.Guests.UltraRestricted,
		"external": a.cfg.Guests.External}
	for _, k := range kinds {
		if !allowed[k] {
			a.log.Info("refused a guest", "user", userID, "kind", k, "setting", "slack.guests."+k)
			return jifen.Errorf(jifen.EFORBIDDEN, "err.guest_member", displayName(u))
		}
	}
	return nil
}

// HomeTeamID is the id of the workspace the app is installed in (auth.test,
// asked once): the web console signs in only its members.
func (a *Adapter) HomeTeamID(ctx context.Context) (string, error) {
	home, err := a.homeTeam(ctx)
	if err != nil {
		return "", err
	}
	return home.TeamID, nil
}

// homeTeam is the app's own workspace (auth.test), asked once.
func (a *Adapter) homeTeam(ctx context.Context) (*slackapi.AuthTestResponse, error) {
	a.homeMu.Lock()
	defer a.homeMu.Unlock()
	if a.home != nil {
		return a.home, nil
	}
	home, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return nil, err
	}
	if home.TeamID == "" {
		return nil, errors.New("auth.test named no team")
	}
	a.home = home
	return home, nil
}

// asCaller turns a refusal of a guest named in a command into the
// refusal of the guest who typed it.
func asCaller(err error) error {
	var e *jifen.Error
	if errors.As(err, &e) && e.Key == "err.guest_member" {
		return jifen.Errorf(jifen.EFORBIDDEN, "err.guest_caller")
	}
	return err
}
