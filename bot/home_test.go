package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"jifen/bot"
	"jifen/bot/bottest"
)

// sectionIDs are the ids of a page's sections, in order.
func sectionIDs(v bot.HomeView) []string {
	var ids []string
	for _, s := range v.Sections {
		ids = append(ids, s.ID)
	}
	return ids
}

func TestHomeShowsEachRoleItsOwn(t *testing.T) {
	ex := bottest.New(t, "../config.example.yaml")
	ctx := context.Background()
	run := func(who, text string) bot.Response {
		t.Helper()
		m, _ := ex.Store.Member(who)
		return ex.Bot.Handle(ctx, bot.Request{Caller: m, Text: text, Source: "test", Key: who + text})
	}
	home := func(who string) bot.HomeView {
		m, _ := ex.Store.Member(who)
		return ex.Bot.Home(ctx, m)
	}
	run("zhangwei", "/award @王芳 10 客户好评 华为来信表扬")
	run("zhangwei", "/award @刘洋 80 签大单 中标某汽车零部件项目") // waits for an admin

	wang := home("wangfang")
	if got := sectionIDs(wang); !slices.Equal(got, []string{"entries", "shop"}) {
		t.Errorf("an employee's sections: %v", got)
	}
	if wang.Fields[0].Value != "10" || wang.Fields[1].Value != "10" {
		t.Errorf("balance and month: %+v", wang.Fields)
	}
	if len(wang.Actions) == 0 || wang.Actions[0].ActionID != bot.ActionThanks {
		t.Errorf("no thanks button first: %+v", wang.Actions)
	}
	if e := wang.Sections[0].Items; len(e) != 1 || !strings.Contains(e[0].Text, "华为来信表扬") || !strings.Contains(e[0].Text, "张伟") {
		t.Errorf("entries: %+v", e)
	}
	// 10 points afford nothing in the example shop: no redeem button.
	for _, it := range wang.Sections[1].Items {
		if len(it.Buttons) > 0 {
			t.Errorf("a redeem button with 10 points: %+v", it)
		}
	}

	zhang := home("zhangwei")
	if got := sectionIDs(zhang); !slices.Equal(got, []string{"entries", "shop", "allowance"}) {
		t.Errorf("a manager's sections: %v", got)
	}
	if a := zhang.Sections[2]; len(a.Text) != 1 || len(a.Items) != 1 || !strings.HasPrefix(a.Items[0].Text, "A1 ") {
		t.Errorf("allowance: %+v", a)
	}

	li := home("hr_li")
	if got := sectionIDs(li); !slices.Equal(got, []string{"entries", "shop", "approvals", "redemptions"}) {
		t.Errorf("an admin's sections: %v", got)
	}
	ap := li.Sections[2] // an admin without an allowance has no allowance section
	if len(ap.Items) != 1 || len(ap.Items[0].Buttons) != 2 || ap.Items[0].Buttons[0].Value != "/approve 1" {
		t.Errorf("approvals: %+v", ap)
	}
}

func TestHomeListsOpenSurveysUntilAnswered(t *testing.T) {
	ex := bottest.New(t, "../config.example.yaml")
	ctx := context.Background()
	li, _ := ex.Store.Member("hr_li")
	wang, _ := ex.Store.Member("wangfang")
	ex.Bot.Handle(ctx, bot.Request{Caller: li, Text: "/survey start satisfaction", Key: "start"})
	v := ex.Bot.Home(ctx, wang)
	i := slices.Index(sectionIDs(v), "surveys")
	if i < 0 || v.Sections[i].Items[0].Buttons[0].Value != "/survey satisfaction" {
		t.Fatalf("no open survey: %+v", v.Sections)
	}
	ex.Bot.Handle(ctx, bot.Request{Caller: wang, Text: "/survey answer satisfaction-1 fair 4", Key: "a1"})
	if slices.Contains(sectionIDs(ex.Bot.Home(ctx, wang)), "surveys") {
		t.Error("an answered survey is still listed")
	}
}

func TestConcerned(t *testing.T) {
	ex := bottest.New(t, "../config.example.yaml")
	ctx := context.Background()
	zhang, _ := ex.Store.Member("zhangwei")
	resp := ex.Bot.Handle(ctx, bot.Request{Caller: zhang, Text: "/award @王芳 10 客户好评", Key: "k"})
	if got := ex.Bot.Concerned(zhang, resp); !slices.Contains(got, "zhangwei") || !slices.Contains(got, "wangfang") {
		t.Errorf("an award concerns %v", got)
	}
	// A decision by one admin concerns the other's page too.
	ex.Bot.Handle(ctx, bot.Request{Caller: zhang, Text: "/award @刘洋 80 签大单 中标", Key: "big"})
	li, _ := ex.Store.Member("hr_li")
	resp = ex.Bot.Handle(ctx, bot.Request{Caller: li, Text: "/approve 1", Key: "ok"})
	if got := ex.Bot.Concerned(li, resp); !slices.Contains(got, "zhaoqiang") || !slices.Contains(got, "liuyang") || !slices.Contains(got, "zhangwei") {
		t.Errorf("an approval concerns %v", got)
	}
	if got := ex.Bot.Concerned(zhang, ex.Bot.Handle(ctx, bot.Request{Caller: zhang, Text: "/score"})); got != nil {
		t.Errorf("a read concerns %v", got)
	}
}
