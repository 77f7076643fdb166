package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkauthen "github.com/larksuite/oapi-sdk-go/v3/service/authen/v1"

	"jifen/config"
)

// feishuLogin is Feishu's web login: the authorize page, then the user
// access token for the code (with the app's token) and the user's info,
// through the Feishu SDK.
type feishuLogin struct {
	s    *Server
	api  *lark.Client
	base string

	mu   sync.Mutex
	home string // the app's tenant_key, once known
}

func newFeishuLogin(s *Server) *feishuLogin {
	base := strings.TrimRight(s.cfg.Feishu.BaseURL, "/")
	if base == "" {
		base = config.DefaultFeishu
	}
	c := s.cfg.Feishu
	api := lark.NewClient(c.AppID, c.AppSecret, lark.WithOpenBaseUrl(base), lark.WithHttpClient(s.hc),
		lark.WithLogLevel(larkcore.LogLevelError))
	return &feishuLogin{s: s, api: api, base: base}
}

func (l *feishuLogin) authURL(_ context.Context, state, _ string) (string, error) {
	q := url.Values{"app_id": {l.s.cfg.Feishu.AppID}, "redirect_uri": {l.s.base + "/admin/login/feishu/callback"}, "state": {state}}
	return l.base + "/open-apis/authen/v1/authorize?" + q.Encode(), nil
}

// identify exchanges the code for the user's access token, then reads who
// they are with it; a user of another tenant is refused unless
// feishu.guests.external allows them.
func (l *feishuLogin) identify(ctx context.Context, code, _ string) (identity, error) {
	if code == "" {
		return identity{}, refuse(http.StatusBadRequest, "admin.login_code", "no code")
	}
	tok, err := l.api.Authen.V1.AccessToken.Create(ctx, larkauthen.NewCreateAccessTokenReqBuilder().
		Body(larkauthen.NewCreateAccessTokenReqBodyBuilder().GrantType("authorization_code").Code(code).Build()).Build())
	if err != nil {
		return identity{}, err
	}
	if !tok.Success() || tok.Data == nil || larkcore.StringValue(tok.Data.AccessToken) == "" {
		return identity{}, refuse(http.StatusForbidden, "admin.login_code", fmt.Sprintf("Feishu refused the code: %d", tok.Code))
	}
	info, err := l.api.Authen.V1.UserInfo.Get(ctx, larkcore.WithUserAccessToken(larkcore.StringValue(tok.Data.AccessToken)))
	if err != nil {
		return identity{}, err
	}
	if !info.Success() || info.Data == nil || larkcore.StringValue(info.Data.OpenId) == "" {
		return identity{}, fmt.Errorf("user_info failed: %d", info.Code)
	}
	home, err := l.tenant(ctx)
	if err != nil {
		return identity{}, fmt.Errorf("asking Feishu for the app's tenant: %w", err)
	}
	if larkcore.StringValue(info.Data.TenantKey) != home && !l.s.cfg.Feishu.Guests.External {
		return identity{}, refuse(http.StatusForbidden, "admin.login_other_org", "a user of another tenant (feishu.guests.external)")
	}
	id := identity{Platform: platformFeishu, UserID: larkcore.StringValue(info.Data.OpenId)}
	if id.Email = larkcore.StringValue(info.Data.EnterpriseEmail); id.Email == "" {
		id.Email = larkcore.StringValue(info.Data.Email)
	}
	return id, nil
}

// tenant is the app's own tenant_key (tenant.query), asked once.
func (l *feishuLogin) tenant(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.home != "" {
		return l.home, nil
	}
	resp, err := l.api.Tenant.V2.Tenant.Query(ctx)
	if err != nil {
		return "", err
	}
	if !resp.Success() || resp.Data == nil || resp.Data.Tenant == nil || larkcore.StringValue(resp.Data.Tenant.TenantKey) == "" {
		return "", errors.New("tenant.query named no tenant")
	}
	l.home = larkcore.StringValue(resp.Data.Tenant.TenantKey)
	return l.home, nil
}
