package report

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The golden page (TestReportGolden writes it) opens with no network,
// runs nothing, shows no Markdown, and leads with the key figures.
func TestHTMLPageSelfContained(t *testing.T) {
	raw, err := os.ReadFile("testdata/summary-2026-11.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).MatchString(page) || strings.Contains(page, "<script") ||
		strings.Contains(page, "@import") || strings.Contains(page, "url(") {
		t.Error("the page refers outside itself or runs a script")
	}
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(regexp.MustCompile(`(?s)<style>.*</style>`).ReplaceAllString(page, ""), "\n")
	for _, marker := range []string{"**", "`", "\n| ", "## ", "\n- ", "\n1. ", "---|", `\|`, " 1:", "&amp;lt;"} {
		if strings.Contains(text, marker) {
			t.Errorf("Markdown %q leaks into the page", marker)
		}
	}
	band := page[strings.Index(page, `<div class="band">`):]
	band = band[:strings.Index(band, "</div></div>\n")]
	for _, want := range []string{"净积分</div><div class=\"v\">2515<", "较上期 &#43;5.1%", "参与率</div><div class=\"v\">100.0%<",
		"目标达成</div><div class=\"v\">3 / 3 项<", "参与成员</div><div class=\"v\">19<"} {
		if !strings.Contains(band, want) {
			t.Errorf("the band lacks %q:\n%s", want, band)
		}
	}
	// Shares are percentages, in the targets too; survey answers are bars.
	if !strings.Contains(page, "≥ 80.0%") || strings.Contains(page, "≥ 0.8<") {
		t.Error("the participation target is not a percentage")
	}
	if !strings.Contains(page, `<td class="num">`) || !strings.Contains(page, "答案分布") {
		t.Error("no right-aligned numbers or no survey bars")
	}
}
