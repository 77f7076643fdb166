package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// slackLogin is Sign in with Slack: OpenID Connect against slack.com (or
// slack.oidc_issuer), with the app's client credentials.
type slackLogin struct {
	s    *Server
	team func(context.Context) (string, error)

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use, then kept
}

// slackClaims are the ID token's claims the console reads.
type slackClaims struct {
	UserID        string `json:"https://slack.com/user_id"`
	TeamID        string `json:"https://slack.com/team_id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

func newSlackLogin(s *Server, team func(context.Context) (string, error)) *slackLogin {
	return &slackLogin{s: s, team: team}
}

// discover reads the issuer's discovery document, once it succeeds: the
// console starts even while Slack cannot be reached.
func (l *slackLogin) discover(ctx context.Context) (*oidc.Provider, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.provider != nil {
		return l.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, l.s.hc), l.s.cfg.Slack.OIDCIssuer)
	if err != nil {
		return nil, err
	}
	l.provider = p
	return p, nil
}

func (l *slackLogin) oauth(p *oidc.Provider) *oauth2.Config {
	c := l.s.cfg.Slack
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: l.s.base + "/admin/login/slack/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

func (l *slackLogin) authURL(ctx context.Context, state, nonce string) (string, error) {
	p, err := l.discover(ctx)
	if err != nil {
		return "", err
	}
	return l.oauth(p).AuthCodeURL(state, oidc.Nonce(nonce)), nil
}

// identify exchanges the code for an ID token, verifies its signature,
// issuer, audience, expiry and nonce, and checks the user's workspace.
func (l *slackLogin) identify(ctx context.Context, code, nonce string) (identity, error) {
	p, err := l.discover(ctx)
	if err != nil {
		return identity{}, err
	}
	ctx = oidc.ClientContext(ctx, l.s.hc)
	tok, err := l.oauth(p).Exchange(ctx, code)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return identity{}, refuse(http.StatusForbidden, "admin.login_code", "Slack refused the code: "+re.ErrorCode)
		}
		return identity{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return identity{}, errors.New("openid.connect.token sent no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: l.s.cfg.Slack.ClientID, Now: l.s.now}).Verify(ctx, raw)
	if err != nil {
		return identity{}, refuse(http.StatusForbidden, "admin.login_code", "invalid ID token: "+err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return identity{}, refuse(http.StatusForbidden, "admin.login_code", "ID token nonce mismatch")
	}
	var cl slackClaims
	if err := idt.Claims(&cl); err != nil {
		return identity{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	if cl.UserID == "" {
		cl.UserID = idt.Subject
	}
	if l.team == nil {
		return identity{}, errors.New("the Slack workspace is unknown")
	}
	home, err := l.team(ctx)
	if err != nil {
		return identity{}, fmt.Errorf("asking Slack for the app's workspace: %w", err)
	}
	if cl.TeamID != home && !l.s.cfg.Slack.Guests.External {
		return identity{}, refuse(http.StatusForbidden, "admin.login_other_org", "a user of another workspace (slack.guests.external)")
	}
	id := identity{Platform: platformSlack, UserID: cl.UserID}
	if cl.EmailVerified {
		id.Email = cl.Email
	}
	return id, nil
}
