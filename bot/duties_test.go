package bot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"jifen"
	"jifen/locale"
	"jifen/store"
)

// Separation of duties: nobody decides a request they give, receive or
// redeem; awards between admins are checked like anyone's.

var (
	bossAdmin = jifen.Member{ID: "boss", Name: "赵总", Department: "总经办", Role: jifen.RoleAdmin}
	cfoAdmin  = jifen.Member{ID: "cfo", Name: "钱总", Department: "财务部", Role: jifen.RoleAdmin}
)

// addMembers registers more members beside testMembers.
func (e *env) addMembers(ms ...jifen.Member) {
	e.t.Helper()
	if err := e.store.SyncMembers(context.Background(), append(slices.Clone(testMembers), ms...)); err != nil {
		e.t.Fatal(err)
	}
}

func noticesTo(resp Response) []string {
	var to []string
	for _, n := range resp.Notices {
		to = append(to, n.To)
	}
	return to
}

func TestAdminCannotApproveAnAwardToHerself(t *testing.T) {
	e := newEnv(t)
	e.addMembers(bossAdmin)
	resp := e.run("zhang", "/award @刘敏 60 大单")
	if resp.Reply.Kind != "approval" {
		t.Fatalf("not pending: %+v", resp.Reply)
	}
	for _, cmd := range []string{"/approve 1", "/reject 1 不要了", "/approve A1 自己批"} {
		if _, err := e.try("hr", cmd, ""); errKey(err) != "err.approval_own" {
			t.Fatalf("%s by the receiver: %v", cmd, err)
		}
	}
	// The card goes to the admin who may decide, and says only they can.
	if to := noticesTo(resp); !slices.Equal(to, []string{"boss"}) {
		t.Fatalf("cards to %v, want boss only", to)
	}
	if f := resp.Notices[0].Message.Footer; f != locale.T(locale.ZH, "approval.sole_decider") {
		t.Fatalf("card footer %q", f)
	}
	// The giver cannot decide either (a manager cannot anyway; an admin
	// giver is checked below).
	if ap, _ := e.store.Approval(1); ap.Status != store.Pending || ap.DecidedBy != "" || e.month("hr") != 0 || e.store.EntryCount() != 0 {
		t.Fatalf("refusal wrote: %+v, month %d, entries %d", ap, e.month("hr"), e.store.EntryCount())
	}

	// The second admin approves; a double click, with the same delivery id
	// and with another, applies once.
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for i := range 6 {
		wg.Go(func() {
			_, err := e.try("boss", "/approve 1", fmt.Sprintf("click-%d", i%2))
			switch errKey(err) {
			case "":
				ok.Add(1)
			case "err.approval_decided":
				conflict.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if e.month("hr") != 60 || e.store.EntryCount() != 1 || ok.Load() < 1 || ok.Load()+conflict.Load() != 6 {
		t.Fatalf("month %d, entries %d, ok %d, conflict %d", e.month("hr"), e.store.EntryCount(), ok.Load(), conflict.Load())
	}
	if ap, _ := e.store.Approval(1); ap.Status != store.Approved || ap.DecidedBy != "boss" {
		t.Fatalf("%+v", ap)
	}
	// After the decision the receiver hears it was decided, not "not yours".
	if _, err := e.try("hr", "/approve 1", ""); errKey(err) != "err.approval_decided" {
		t.Fatalf("after the decision: %v", err)
	}
}

func TestAwardToTheOnlyAdminAboveTheThresholdIsRefused(t *testing.T) {
	e := newEnv(t)
	if _, err := e.try("zhang", "/award @刘敏 60 大单", ""); errKey(err) != "err.approval_no_decider" {
		t.Fatalf("award to the single admin: %v", err)
	}
	if aps, _ := e.store.OpenApprovals(); len(aps) != 0 || e.store.EntryCount() != 0 {
		t.Fatalf("refusal wrote: approvals %v, entries %d", aps, e.store.EntryCount())
	}
	// At the threshold no approval is needed: the award is applied.
	e.run("zhang", "/award @刘敏 50 大单")
	if e.month("hr") != 50 {
		t.Fatalf("month %d", e.month("hr"))
	}
}

func TestTheSingleAdminIsToldNobodyElseDecides(t *testing.T) {
	e := newEnv(t)
	resp := e.run("zhang", "/award @王芳 60 大单")
	if len(resp.Notices) != 1 || resp.Notices[0].To != "hr" || resp.Notices[0].Message.Footer != locale.T(locale.ZH, "approval.only_admin") {
		t.Fatalf("card: %+v", resp.Notices)
	}
	e.addMembers(bossAdmin)
	resp = e.run("zhang", "/award @李娜 60 大单")
	if to := noticesTo(resp); !slices.Equal(to, []string{"boss", "hr"}) && !slices.Equal(to, []string{"hr", "boss"}) {
		t.Fatalf("cards to %v", to)
	}
	for _, n := range resp.Notices {
		if n.Message.Footer != "" {
			t.Fatalf("two deciders, yet the card says %q", n.Message.Footer)
		}
	}

	var buf bytes.Buffer
	b := New(Options{Store: e.store, Catalog: e.bot.cat, CatalogVersion: 1, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if n := b.CheckDuties(); n != 2 || buf.Len() != 0 {
		t.Fatalf("two admins: %d, logged %q", n, buf.String())
	}
	e2 := newEnv(t)
	b = New(Options{Store: e2.store, Catalog: e2.bot.cat, CatalogVersion: 1, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if n := b.CheckDuties(); n != 1 || !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "separation of duties") {
		t.Fatalf("one admin: %d, logged %q", n, buf.String())
	}
}

func TestAdminToAdminAwardTakesTheAllowanceAndWaitsForApproval(t *testing.T) {
	e := newEnv(t)
	e.addMembers(bossAdmin, cfoAdmin)
	// To a fellow admin, above the threshold: pending, decided by the third.
	resp := e.run("boss", "/award @刘敏 60 大单")
	if resp.Reply.Kind != "approval" || e.month("hr") != 0 {
		t.Fatalf("admin to admin above the threshold applied at once: %+v", resp.Reply)
	}
	if to := noticesTo(resp); !slices.Equal(to, []string{"cfo"}) {
		t.Fatalf("cards to %v, want cfo only", to)
	}
	for _, who := range []string{"boss", "hr"} {
		if _, err := e.try(who, "/approve 1", ""); errKey(err) != "err.approval_own" {
			t.Fatalf("approve by %s: %v", who, err)
		}
	}
	e.run("cfo", "/approve 1")
	if e.month("hr") != 60 {
		t.Fatalf("approved: month %d", e.month("hr"))
	}
	// To an employee an admin is unlimited and needs no approval, as before.
	e.run("boss", "/award @王芳 80 大单")
	if e.month("wang") != 80 {
		t.Fatalf("admin to employee: month %d", e.month("wang"))
	}
	// To an admin, the giver's allowance is the manager's (100 + 10 per member of 总经办,
	// which has one), against all the giver has awarded in the month: the 60
	// to 刘敏 and the 80 to 王芳 have used 140 of 110.
	if _, err := e.try("boss", "/award @钱总 20 大单", ""); errKey(err) != "err.allowance" {
		t.Fatalf("admin to admin beyond the allowance: %v", err)
	}
	// With two admins, an award from one to the other above the threshold
	// has nobody to decide it.
	e2 := newEnv(t)
	e2.addMembers(bossAdmin)
	if _, err := e2.try("boss", "/award @刘敏 60 大单", ""); errKey(err) != "err.approval_no_decider" {
		t.Fatalf("two admins: %v", err)
	}
	e2.run("boss", "/award @刘敏 30 大单")
	if e2.month("hr") != 30 {
		t.Fatalf("under the threshold: month %d", e2.month("hr"))
	}
}

func TestAdminCannotDecideHisOwnRedemption(t *testing.T) {
	e := newEnv(t)
	e.addMembers(bossAdmin)
	e.run("zhang", "/award @刘敏 50 大单")
	e.run("zhao", "/award @刘敏 50 大单")
	resp := e.run("hr", "/redeem 培训课程")
	entries := e.store.EntryCount()
	for _, cmd := range []string{"/redemptions approve R1", "/redemptions reject R1 算了", "/兑换记录 批准 R1"} {
		if _, err := e.try("hr", cmd, ""); errKey(err) != "err.redemption_own" {
			t.Fatalf("%s by the redeemer: %v", cmd, err)
		}
	}
	if to := noticesTo(resp); !slices.Equal(to, []string{"boss"}) {
		t.Fatalf("cards to %v, want boss only", to)
	}
	if resp.Notices[0].Message.Footer != locale.T(locale.ZH, "approval.sole_decider") {
		t.Fatalf("card footer %q", resp.Notices[0].Message.Footer)
	}
	if rs := e.store.Redemptions("hr", 5); len(rs) != 1 || rs[0].Status != store.RedemptionPending || e.store.EntryCount() != entries {
		t.Fatalf("refusal wrote: %+v", rs)
	}
	e.run("boss", "/redemptions approve R1")
	// Approved and not yet handed out: he cannot cancel it for a refund.
	if _, err := e.try("hr", "/redemptions cancel R1 不要了", ""); errKey(err) != "err.redemption_own" {
		t.Fatalf("cancel by the redeemer: %v", err)
	}
	if bal := e.store.Balance("hr"); bal != 0 {
		t.Fatalf("balance %d", bal)
	}
	// Handing it out is recorded by anyone who hands items out.
	e.run("hr", "/redemptions fulfil R1")
}

func TestTheOnlyAdminCannotRedeemAnItemThatNeedsApproval(t *testing.T) {
	e := newEnv(t)
	e.run("zhang", "/award @刘敏 50 大单")
	e.run("zhao", "/award @刘敏 50 大单")
	entries := e.store.EntryCount()
	if _, err := e.try("hr", "/redeem 培训课程", ""); errKey(err) != "err.redeem_no_decider" {
		t.Fatalf("redeem: %v", err)
	}
	if e.store.Balance("hr") != 100 || e.store.EntryCount() != entries || len(e.store.Redemptions("hr", 5)) != 0 {
		t.Fatal("refusal wrote")
	}
	// An item without approval is redeemed as before.
	e.run("hr", "/redeem 马克杯")
}

func TestAdminCannotRevokeHisOwnDeduction(t *testing.T) {
	e := newEnv(t)
	e.addMembers(bossAdmin)
	e.run("boss", "/deduct @刘敏 迟到")
	if _, err := e.try("hr", "/revoke 1 不算", ""); errKey(err) != "err.revoke_own" {
		t.Fatalf("revoke by the receiver: %v", err)
	}
	if _, by, _ := e.store.Entry(1); by != 0 || e.store.EntryCount() != 1 {
		t.Fatal("refusal wrote")
	}
	e.run("boss", "/revoke 1 记错了")
}
