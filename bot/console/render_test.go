package console

import (
	"testing"

	"jifen/bot"
)

func TestRenderBlocks(t *testing.T) {
	m := bot.Message{Title: "调查", Blocks: []bot.Block{
		{Text: "1. 公平吗", Note: "你的回答：2", Buttons: []bot.Button{
			{Label: "1", Value: "/survey answer s-1 fair 1"}, {Label: "2", Value: "/survey answer s-1 fair 2", Style: "primary"}}},
		{Text: "2. 想要", Buttons: []bot.Button{
			{Label: "调休", Value: "/survey answer s-1 want +1"}, {Label: "培训", Value: "/survey answer s-1 want -2", Style: "primary"}}},
		{Text: "3. 意见", Buttons: []bot.Button{{Label: "填写", Value: "/survey answer s-1 note", Ask: "意见"}}},
	}, Footer: "截止"}
	want := `【调查】
1. 公平吗
    你的回答：2
  1 · 2✓
  → /survey answer s-1 fair …
2. 想要
  +1=调休 · -2=培训✓
  → /survey answer s-1 want …
3. 意见
  [填写] /survey answer s-1 note <意见>
截止
`
	if got := Render(m); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
