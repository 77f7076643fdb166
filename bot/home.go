package bot

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"jifen"
	"jifen/store"
)

// The member's own page (the Slack App Home tab, the Feishu personal
// card): where they stand and what they can do next, without typing a
// command. The content is built here, platform-neutral; each adapter
// renders a HomeView in its own way and decides when to show it again.

// ActionThanks is the action id of the "thank a colleague" button: the
// platform asks the clicker for a colleague (a user picker), points and a
// reason, then runs "/thanks @colleague N reason" through Handle.
const ActionThanks = "jifen_thanks"

// ActionHome is the action id of the button that shows the page again,
// up to date; it runs no command.
const ActionHome = "jifen_home"

// How much of each list the page shows: a Slack Home view holds 100
// blocks and a Feishu card 30 KB; the commands (/history, /shop,
// /redemptions open) show the rest.
const (
	homeEntries   = 5
	homeItems     = 8 // shop items, approvals, redemptions
	homeSurveys   = 5
	homeRedeemMax = 20 // redemptions read to find the open ones
)

// HomeView is a member's page. Every string is plain text, as in a
// Message: the adapters escape it.
type HomeView struct {
	Member string `json:"member"` // member id
	Title  string `json:"title"`
	// Fields are the figures: balance, this month's points, ranks.
	Fields []Field `json:"fields,omitempty"`
	// Text are the lines under them: the weakest category, the thanks
	// left to give.
	Text []string `json:"text,omitempty"`
	// Actions are the common actions (thank a colleague, the shop, the
	// history, refresh).
	Actions  []Button      `json:"actions,omitempty"`
	Sections []HomeSection `json:"sections,omitempty"`
	Footer   string        `json:"footer,omitempty"`
}

// HomeSection is a part of the page: the latest entries, open surveys,
// the shop, a manager's allowance, what waits for an admin.
type HomeSection struct {
	ID    string   `json:"id"` // entries, surveys, shop, allowance, approvals, redemptions
	Title string   `json:"title"`
	Text  []string `json:"text,omitempty"`
	Items []Block  `json:"items,omitempty"` // a line each, with its own buttons
}

// Home builds m's page. Everything on it is m's own (their figures, the
// entries they received, what they may redeem, answer or decide), which
// every score visibility allows a member to see (as /score shows anyone
// their own ranks); of the others it shows
// only what m takes part in: the requests m filed as a manager, and, for
// an admin, the requests m may decide.
func (b *Bot) Home(ctx context.Context, m jifen.Member) HomeView {
	var v HomeView
	err := b.st.Read(ctx, func(r store.Reader) error {
		v = b.homeView(r, m)
		return nil
	})
	if err != nil {
		return HomeView{Member: m.ID, Title: b.t("home.title", m.Name), Text: b.ErrorResponse(err).Reply.Text}
	}
	return v
}

// homeView is m's page, read from rd.
func (b *Bot) homeView(rd store.Reader, m jifen.Member) HomeView {
	now, loc := rd.Now(), rd.Location()
	month := jifen.PeriodOf(jifen.Month, now, loc)
	balance := rd.Balance(m.ID)
	v := HomeView{Member: m.ID, Title: b.t("home.title", m.Name)}
	r := rd.RankOf(m.ID, month)
	dept := m.Department
	if dept == "" {
		dept = b.t("score.no_department")
	}
	v.Fields = []Field{
		{b.t("score.balance"), strconv.FormatInt(balance, 10)},
		{b.t("period.month"), strconv.FormatInt(rd.Totals(m.ID, month).Net, 10)},
		{b.t("home.rank"), fmt.Sprintf("%s / %d", rankText(r.Rank), r.Of)},
		{b.t("home.dept_rank", dept), fmt.Sprintf("%s / %d", rankText(r.DeptRank), r.DeptOf)},
	}
	if line := b.weakestLine(rd, m, month); line != "" {
		v.Text = append(v.Text, line)
	}
	if th := b.cat.Thanks; th != nil && th.Allowance > 0 && !m.Bot {
		p := jifen.PeriodOf(th.Period, now, loc)
		left := max(th.Allowance-rd.GiverUsed(m.ID, "thanks", p), 0)
		v.Text = append(v.Text, b.t("home.thanks_left", left, th.Allowance, th.Period))
	}
	if b.cat.Thanks != nil && !m.Bot {
		v.Actions = append(v.Actions, Button{Label: b.t("home.button.thanks"), ActionID: ActionThanks, Value: "/thanks", Style: "primary"})
	}
	v.Actions = append(v.Actions,
		Button{Label: b.t("home.button.history"), ActionID: ActionCommand, Value: "/history"},
		Button{Label: b.t("home.button.refresh"), ActionID: ActionHome})
	if len(b.cat.Rewards) > 0 {
		v.Actions = append(v.Actions, Button{Label: b.t("home.button.shop"), ActionID: ActionCommand, Value: "/shop"})
	}

	v.Sections = append(v.Sections, b.homeEntries(rd, m))
	if s, ok := b.homeSurveys(rd, m); ok {
		v.Sections = append(v.Sections, s)
	}
	if s, ok := b.homeShop(rd, m, balance); ok {
		v.Sections = append(v.Sections, s)
	}
	if m.Role == jifen.RoleManager || m.Role == jifen.RoleAdmin {
		if s, ok := b.homeAllowance(rd, m); ok {
			v.Sections = append(v.Sections, s)
		}
	}
	if m.Role == jifen.RoleAdmin {
		v.Sections = append(v.Sections, b.homeApprovals(rd, m), b.homeRedemptions(rd, m))
	}
	v.Footer = b.t("home.footer", b.when(now))
	return v
}

// weakestLine names the category furthest below the department's average
// this month, as /score does.
func (b *Bot) weakestLine(rd store.Reader, m jifen.Member, p jifen.Period) string {
	mine := rd.Categories(m.ID, p)
	avg := rd.DepartmentAverages(p, m.Department)
	weakest, gap := "", math.Inf(1)
	for _, c := range b.cat.Categories {
		if d := float64(mine[c.ID].Net) - avg[c.ID]; d < gap {
			weakest, gap = c.Name, d
		}
	}
	switch {
	case weakest == "":
		return ""
	case gap < 0:
		return b.t("score.weakest", weakest, fmt.Sprintf("%.1f", -gap))
	}
	return b.t("score.weakest_even", weakest)
}

// homeEntries lists the latest entries the member received.
func (b *Bot) homeEntries(rd store.Reader, m jifen.Member) HomeSection {
	s := HomeSection{ID: "entries", Title: b.t("home.entries")}
	entries := rd.History(m.ID, homeEntries)
	if len(entries) == 0 {
		s.Text = []string{b.t("history.empty")}
		return s
	}
	loc := rd.Location()
	for _, e := range entries {
		what := b.behaviorName(e.Behavior)
		if e.Kind == jifen.KindRedeem {
			what = e.Reason // the item's name
		}
		line := b.t("home.entry", e.At.In(loc).Format("01-02"), b.t("kind."+string(e.Kind)), signed(e.Points), what)
		if e.Giver != "" && e.Giver != m.ID {
			line += b.t("home.entry_from", memberName(rd, e.Giver))
		}
		if e.Reason != "" && e.Kind != jifen.KindRedeem {
			line += b.t("home.entry_reason", clipRunes(e.Reason, 80))
		}
		s.Items = append(s.Items, Block{Text: line})
	}
	return s
}

// homeSurveys lists the open rounds the member was asked and has not
// answered yet, each with a button that shows its card.
func (b *Bot) homeSurveys(rd store.Reader, m jifen.Member) (HomeSection, bool) {
	s := HomeSection{ID: "surveys", Title: b.t("home.surveys")}
	now := rd.Now()
	for _, r := range rd.Rounds("") {
		if !r.Open(now) || !r.Asked(m.ID) || rd.Answered(&r, m.ID) {
			continue
		}
		if len(s.Items) == homeSurveys {
			break
		}
		s.Items = append(s.Items, Block{Text: r.Title, Note: b.t("home.survey_closes", b.when(r.Closes)),
			Buttons: []Button{{Label: b.t("home.button.answer"), ActionID: ActionCommand, Value: "/survey " + r.Survey, Style: "primary"}}})
	}
	return s, len(s.Items) > 0
}

// homeShop lists the rewards with what the member can afford: a redeem
// button for those, what is missing for the others.
func (b *Bot) homeShop(rd store.Reader, m jifen.Member, balance int64) (HomeSection, bool) {
	if len(b.cat.Rewards) == 0 {
		return HomeSection{}, false
	}
	s := HomeSection{ID: "shop", Title: b.t("home.shop", balance)}
	for i, r := range b.cat.Rewards {
		if i == homeItems {
			s.Text = append(s.Text, b.t("home.more", len(b.cat.Rewards)-homeItems, "/shop"))
			break
		}
		blk := Block{Text: b.t("home.item", r.Name, r.Cost)}
		left := int64(-1)
		if !r.Unlimited() {
			left = max(r.Stock-rd.StockUsed(r.ID), 0)
		}
		switch {
		case left == 0:
			blk.Note = b.t("home.item_out")
		case balance < r.Cost:
			blk.Note = b.t("home.item_short", r.Cost-balance)
		case m.Bot:
		default:
			if r.Approval {
				blk.Note = b.t("shop.needs_approval")
			}
			blk.Buttons = []Button{{Label: b.t("home.button.redeem"), ActionID: ActionCommand, Value: "/redeem " + r.Name}}
		}
		s.Items = append(s.Items, blk)
	}
	return s, true
}

// homeAllowance is a giver's allowance left this period, and the awards
// they asked for that wait for an admin (their points count as used).
func (b *Bot) homeAllowance(rd store.Reader, m jifen.Member) (HomeSection, bool) {
	s := HomeSection{ID: "allowance", Title: b.t("home.allowance")}
	open, _ := rd.OpenApprovals()
	a, ok := b.cat.Allowances[m.Role]
	if ok {
		now, loc := rd.Now(), rd.Location()
		p := jifen.PeriodOf(a.Period, now, loc)
		budget := a.Budget(rd.DepartmentSize(m.Department))
		used := rd.GiverUsed(m.ID, "award", p)
		for _, ap := range open {
			if ap.Giver == m.ID && p.Contains(ap.CreatedAt) {
				used += ap.Points * int64(len(ap.Receivers))
			}
		}
		s.Text = append(s.Text, b.t("home.allowance_left", max(budget-used, 0), budget, a.Period))
	}
	for _, ap := range open {
		if ap.Giver != m.ID {
			continue
		}
		if len(s.Items) == homeItems {
			s.Text = append(s.Text, b.t("home.more_plain", countGiven(open, m.ID)-homeItems))
			break
		}
		s.Items = append(s.Items, Block{Text: b.approvalLine(rd, ap), Note: b.t("home.waiting")})
	}
	return s, len(s.Text) > 0 || len(s.Items) > 0
}

func countGiven(open []store.Approval, giver string) int {
	n := 0
	for _, ap := range open {
		if ap.Giver == giver {
			n++
		}
	}
	return n
}

// homeApprovals lists the awards waiting for an admin that m may decide
// (never one m gives or receives), with the card's buttons.
func (b *Bot) homeApprovals(rd store.Reader, m jifen.Member) HomeSection {
	s := HomeSection{ID: "approvals", Title: b.t("home.approvals")}
	open, _ := rd.OpenApprovals()
	var mine []store.Approval
	for _, ap := range open {
		if ap.Giver != m.ID && !slices.Contains(ap.Receivers, m.ID) {
			mine = append(mine, ap)
		}
	}
	if len(mine) == 0 {
		s.Text = []string{b.t("home.none")}
		return s
	}
	for i, ap := range mine {
		if i == homeItems {
			s.Text = append(s.Text, b.t("home.more_plain", len(mine)-homeItems))
			break
		}
		card := b.approvalCard(ap, memberName(rd, ap.Giver), nil)
		s.Items = append(s.Items, Block{Text: b.approvalLine(rd, ap), Buttons: card.Buttons})
	}
	return s
}

// approvalLine is one pending award in a line: "A12 张伟 → 刘洋 +80 签大单".
func (b *Bot) approvalLine(rd memberReader, ap store.Approval) string {
	names := make([]string, len(ap.Receivers))
	for i, id := range ap.Receivers {
		names[i] = memberName(rd, id)
	}
	line := b.t("home.approval", ap.ID, memberName(rd, ap.Giver), names, ap.Points, b.behaviorName(ap.Behavior))
	if ap.Reason != "" {
		line += b.t("home.entry_reason", clipRunes(ap.Reason, 80))
	}
	return line
}

// homeRedemptions lists the redemptions waiting for a decision (that m may
// take: not m's own) or to be handed out.
func (b *Bot) homeRedemptions(rd store.Reader, m jifen.Member) HomeSection {
	s := HomeSection{ID: "redemptions", Title: b.t("home.redemptions")}
	var open []store.Redemption
	for _, r := range rd.Redemptions("", homeRedeemMax) {
		if r.Member != m.ID || r.Status != store.RedemptionPending {
			open = append(open, r)
		}
	}
	for i, r := range open {
		if i == homeItems {
			s.Text = append(s.Text, b.t("home.more", len(open)-homeItems, "/redemptions open"))
			break
		}
		name := r.Item
		if it := b.cat.Reward(r.Item); it != nil {
			name = it.Name
		}
		blk := Block{Text: b.t("home.redemption", r.ID, memberName(rd, r.Member), name, r.Quantity, r.Points),
			Note: b.t("redemption." + string(r.Status))}
		switch r.Status {
		case store.RedemptionPending:
			blk.Buttons = []Button{
				{Label: b.t("button.approve"), ActionID: ActionCommand, Value: fmt.Sprintf("/redemptions approve R%d", r.ID), Style: "primary"},
				{Label: b.t("button.reject"), ActionID: ActionCommand, Value: fmt.Sprintf("/redemptions reject R%d", r.ID), Style: "danger", Ask: b.t("button.reject_reason")},
			}
		case store.RedemptionApproved:
			blk.Buttons = []Button{{Label: b.t("button.fulfilled"), ActionID: ActionCommand, Value: fmt.Sprintf("/redemptions fulfil R%d", r.ID)}}
		}
		s.Items = append(s.Items, blk)
	}
	if len(s.Items) == 0 {
		s.Text = append(s.Text, b.t("home.none"))
	}
	return s
}

// Concerned lists the members a command's response concerns, whose pages
// show something else after it: the caller, the givers and receivers of
// the entries it wrote, whoever it notified (a receiver, the admins who
// decide a request), and, after an admin's command, every admin. Nothing when it wrote nothing and notified no
// one (a read-only command, an error).
func (b *Bot) Concerned(caller jifen.Member, resp Response) []string {
	if resp.Reply.Kind == "error" || len(resp.Entries) == 0 && len(resp.Notices) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	var parties []string
	var adms []jifen.Member
	err := b.st.Read(context.Background(), func(r store.Reader) error {
		for _, id := range resp.Entries {
			if e, _, ok := r.Entry(id); ok {
				parties = append(parties, e.Giver, e.Receiver)
			}
		}
		if caller.Role == jifen.RoleAdmin {
			adms = admins(r)
		}
		return nil
	})
	if err != nil {
		// Their pages show the change when they are next opened.
		b.log.Warn("the members a command concerns could not be read", "err", err)
		return nil
	}
	add(caller.ID)
	for _, id := range parties {
		add(id)
	}
	for _, n := range resp.Notices {
		add(n.To)
	}
	// What waits for an admin is on every admin's page: a decision by one
	// takes it off the others'.
	for _, m := range adms {
		add(m.ID)
	}
	return out
}
