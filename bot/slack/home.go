package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

// The App Home tab: the member's own page (bot.HomeView) as a Block Kit
// home view, published with views.publish when they open the tab and
// again, in the background, after each change that concerns them.

// maxHomeBlocks is Slack's limit on a home view's blocks (a message has 50).
const maxHomeBlocks = 100

// callbackThanks is the callback id of the thank-a-colleague modal.
const callbackThanks = "jifen_thanks"

// Block and action ids of the thanks modal's inputs.
const (
	thanksWho    = "who"
	thanksPoints = "points"
	thanksReason = "reason"
)

// RenderHome renders a page as the blocks of a home view:
//
//   - the title as a header, the figures as fields, the lines under them
//     as sections, the common actions as one actions block;
//   - each part of the page under a divider and a header of its own; its
//     items as sections, an item with one button carrying it as the
//     section's accessory, one with several followed by an actions block;
//     items without buttons joined in one section;
//   - the footer as a context block.
//
// All text is escaped and verbatim, as in RenderLang. The view never
// holds more than maxHomeBlocks blocks.
func RenderHome(v bot.HomeView) []slackapi.Block {
	var blocks []slackapi.Block
	section := func(escaped string) {
		for _, part := range split(escaped, maxSectionText) {
			blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(part), nil, nil))
		}
	}
	header := func(s string) {
		if s = clipPlain(strings.TrimSpace(s), maxHeader); s != "" {
			blocks = append(blocks, slackapi.NewHeaderBlock(plainText(s)))
		}
	}
	header(v.Title)
	var fields []*slackapi.TextBlockObject
	for _, f := range v.Fields[:min(len(v.Fields), maxFields)] {
		fields = append(fields, mrkdwn(clipEscaped("*"+Escape(f.Label)+"*\n"+Escape(f.Value), maxFieldText)))
	}
	if len(fields) > 0 {
		blocks = append(blocks, slackapi.NewSectionBlock(nil, fields, nil))
	}
	for _, p := range v.Text {
		section(Escape(p))
	}
	var acts []slackapi.BlockElement
	for i, b := range v.Actions[:min(len(v.Actions), maxButtons)] {
		acts = append(acts, homeButton(fmt.Sprintf("a%d", i), b))
	}
	if len(acts) > 0 {
		blocks = append(blocks, slackapi.NewActionBlock("jifen_home_actions", acts...))
	}
	for si, s := range v.Sections {
		blocks = append(blocks, slackapi.NewDividerBlock())
		header(s.Title)
		for _, p := range s.Text {
			section(Escape(p))
		}
		var lines []string // consecutive items without buttons
		flush := func() {
			if len(lines) > 0 {
				section(strings.Join(lines, "\n"))
				lines = nil
			}
		}
		for ii, it := range s.Items {
			text := Escape(it.Text)
			if strings.TrimSpace(it.Note) != "" {
				text += "\n" + Escape(it.Note)
			}
			if len(it.Buttons) == 0 {
				lines = append(lines, text)
				continue
			}
			flush()
			text = clipEscaped(text, maxSectionText)
			if len(it.Buttons) == 1 {
				acc := slackapi.NewAccessory(homeButton(fmt.Sprintf("s%d:%d:0", si, ii), it.Buttons[0]))
				blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(text), nil, acc))
				continue
			}
			blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(text), nil, nil))
			var row []slackapi.BlockElement
			for j, b := range it.Buttons[:min(len(it.Buttons), maxButtons)] {
				row = append(row, homeButton(fmt.Sprintf("s%d:%d:%d", si, ii, j), b))
			}
			blocks = append(blocks, slackapi.NewActionBlock(fmt.Sprintf("jifen_home:%d:%d", si, ii), row...))
		}
		flush()
	}
	if footer := clipEscaped(Escape(v.Footer), maxSectionText); strings.TrimSpace(footer) != "" {
		blocks = append(blocks, slackapi.NewContextBlock("jifen_home_footer", mrkdwn(footer)))
	}
	if len(blocks) > maxHomeBlocks {
		blocks = append(blocks[:maxHomeBlocks-1], slackapi.NewContextBlock("", mrkdwn("…")))
	}
	return blocks
}

// homeButton is a page's button: thank a colleague and refresh have
// action ids of their own; the others are command buttons as in messages.
func homeButton(pos string, b bot.Button) *slackapi.ButtonBlockElement {
	switch b.ActionID {
	case bot.ActionThanks:
		return button(callbackThanks+":"+pos, b.Label, "thanks", b.Style)
	case bot.ActionHome:
		return button(bot.ActionHome+":"+pos, b.Label, "home", b.Style)
	}
	return commandButton(pos, b)
}

// homeViews keeps, per Slack user who opened the Home tab since the bot
// started, whether a publish is waiting; only those users' Homes are
// published again after a change (anyone else gets a fresh one when they
// open the tab), so a survey sent to everyone does not cost a views.publish
// per member.
type homeViews struct {
	mu    sync.Mutex
	users map[string]*homeState
}

type homeState struct {
	mu    sync.Mutex // held while a view is built and published: the last published is the newest
	dirty bool       // a publish is queued and has not read the store yet
}

// opened lists the users whose Home was opened since the bot started.
func (h *homeViews) opened() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	users := make([]string, 0, len(h.users))
	for u := range h.users {
		users = append(users, u)
	}
	return users
}

func (h *homeViews) state(user string, open bool) *homeState {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.users == nil {
		h.users = map[string]*homeState{}
	}
	s, ok := h.users[user]
	if !ok && open {
		s = &homeState{}
		h.users[user] = s
	}
	return s
}

// homeOpened publishes the Home of the Slack user who opened the tab.
func (a *Adapter) homeOpened(user string) {
	a.queueHome(a.homes.state(user, true), user)
}

// refreshHomes publishes again, in the background, the Homes a response
// changed (bot.Concerned) that were opened since the bot started. With no
// Home open it reads nothing: an admin's command concerns every admin, and
// looking each up after every command would cost more than the command.
func (a *Adapter) refreshHomes(caller jifen.Member, resp bot.Response) {
	open := a.homes.opened()
	if len(open) == 0 {
		return
	}
	ids := a.bot.Concerned(caller, resp)
	if len(ids) == 0 {
		return
	}
	concerned := make(map[string]bool, len(ids))
	for _, id := range ids {
		concerned[id] = true
	}
	var users []string
	if err := a.st.Read(context.Background(), func(r store.Reader) error {
		// Whichever list is shorter is looked up: the open Homes' users,
		// or the members concerned.
		if len(open) <= len(ids) {
			for _, user := range open {
				if m, ok := r.MemberBySlackID(user); ok && concerned[m.ID] && !m.Bot {
					users = append(users, user)
				}
			}
			return nil
		}
		for _, id := range ids {
			if m, ok := r.Member(id); ok && m.SlackID != "" && !m.Bot {
				users = append(users, m.SlackID)
			}
		}
		return nil
	}); err != nil {
		a.log.Warn("Home not refreshed: the store could not be read", "err", err)
		return
	}
	for _, user := range users {
		if s := a.homes.state(user, false); s != nil {
			a.queueHome(s, user)
		}
	}
}

// queueHome publishes user's Home in the background, once for however
// many changes arrive before the publish reads the store.
func (a *Adapter) queueHome(s *homeState, user string) {
	a.homes.mu.Lock()
	if s.dirty {
		a.homes.mu.Unlock()
		return
	}
	s.dirty = true
	a.homes.mu.Unlock()
	a.bg.Go(func(ctx context.Context) {
		s.mu.Lock()
		defer s.mu.Unlock()
		a.homes.mu.Lock()
		s.dirty = false
		a.homes.mu.Unlock()
		if err := a.publishHome(ctx, user); err != nil {
			a.log.Warn("views.publish failed", "user", user, "err", err)
		}
	})
}

// publishHome builds and publishes user's Home now.
func (a *Adapter) publishHome(ctx context.Context, user string) error {
	m, err := a.member(ctx, user)
	if err != nil {
		return err
	}
	view := slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, CallbackID: "jifen_home",
		Blocks: slackapi.Blocks{BlockSet: RenderHome(a.bot.Home(ctx, m))}}
	// slack-go retries a 429, a 5xx or a broken connection itself.
	_, err = a.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: user, View: view})
	return err
}

// openThanksModal opens the thank-a-colleague modal: a user picker, the
// points and the reason.
func (a *Adapter) openThanksModal(ctx context.Context, triggerID string) error {
	t := func(key string, args ...any) *slackapi.TextBlockObject {
		return plainText(a.bot.T(key, args...))
	}
	who := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeUser, t("home.thanks.who"), thanksWho)
	points := slackapi.NewPlainTextInputBlockElement(t("home.thanks.points"), thanksPoints)
	points.MaxLength = 4
	reason := slackapi.NewPlainTextInputBlockElement(t("home.thanks.reason"), thanksReason)
	reason.Multiline = true
	reason.MaxLength = 500
	view := slackapi.ModalViewRequest{
		Type:       slackapi.VTModal,
		CallbackID: callbackThanks,
		Title:      plainText(truncate(a.bot.T("home.thanks.title"), 24)),
		Submit:     plainText(truncate(a.bot.T("home.thanks.submit"), 24)),
		Close:      plainText(a.bot.T("slack.cancel")),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewInputBlock(thanksWho, t("home.thanks.who"), nil, who),
			slackapi.NewInputBlock(thanksPoints, t("home.thanks.points"), nil, points),
			slackapi.NewInputBlock(thanksReason, t("home.thanks.reason"), nil, reason),
		}},
	}
	_, err := a.api.OpenViewContext(ctx, triggerID, view)
	if err != nil {
		a.log.Warn("views.open failed", "err", err)
	}
	return err
}

// maxThanksPoints bounds what the modal accepts before the rules check it.
const maxThanksPoints = 1000

// thanksSubmitted runs the modal's thanks through the command core, keyed
// by the view so that a double submit applies once. A problem is shown in
// the modal; on success it closes, the giver gets the answer as a direct
// message and the receiver their notice.
func (a *Adapter) thanksSubmitted(ctx context.Context, cb slackapi.InteractionCallback) any {
	var who, points, reason string
	if st := cb.View.State; st != nil {
		who = st.Values[thanksWho][thanksWho].SelectedUser
		points = strings.TrimSpace(st.Values[thanksPoints][thanksPoints].Value)
		reason = strings.Join(strings.Fields(st.Values[thanksReason][thanksReason].Value), " ")
	}
	if mention.FindStringSubmatch("<@"+who+">") == nil {
		return slackapi.NewErrorsViewSubmissionResponse(map[string]string{thanksWho: a.bot.T("home.thanks.no_colleague")})
	}
	if n, err := strconv.Atoi(points); err != nil || n < 1 || n > maxThanksPoints {
		return slackapi.NewErrorsViewSubmissionResponse(map[string]string{thanksPoints: a.bot.T("home.thanks.bad_points", maxThanksPoints)})
	}
	// A double submit is the same view: the store's idempotency key
	// applies the thanks once, and the copy that arrives while the first
	// runs is dropped here, so the notices are not sent twice either.
	key := "slack:view:" + cb.View.ID + ":" + cb.View.Hash
	if !a.events.First(key) {
		return nil
	}
	text := fmt.Sprintf("/thanks <@%s> %s %s", who, points, reason)
	resp, err := a.run(ctx, cb.User.ID, text, key)
	if err != nil {
		resp = a.bot.ErrorResponse(err)
	}
	if resp.Reply.Kind == "error" {
		return slackapi.NewErrorsViewSubmissionResponse(map[string]string{thanksReason: plain(resp.Reply)})
	}
	_ = a.queue(ctx, Address{Channel: cb.User.ID}, resp.Reply, key)
	return nil
}
