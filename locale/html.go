package locale

// The HTML report's own texts (the summary band and the charts), merged
// into the catalogs.
var zhHTML = map[string]string{
	"html.band.net":            "净积分",
	"html.band.average":        "人均积分",
	"html.band.participation":  "参与率",
	"html.band.targets":        "目标达成",
	"html.band.best":           "人均最高部门",
	"html.band.members":        "参与成员",
	"html.vs_previous":         "较上期 %s",
	"html.no_previous":         "无上期可比",
	"html.targets_met":         "%[1]d / %[2]d 项",
	"html.trend":               "月度趋势",
	"html.trend.points":        "人均净积分（柱）",
	"html.trend.participation": "参与率（线）",
	"html.rating_trend":        "积分与评级趋势",
	"html.rating_line":         "平均评级（线，A=4 … D=1）",
	"html.rating":              "评级 %s",
	"html.current":             "本期 %s",
	"html.previous":            "上期 %s",
	"html.departments":         "各部门人均积分",
	"html.answers":             "答案分布",
	"html.score":               "%d 分",
	"html.show_all":            "展开全部（%d）",
	"html.pp":                  "%+.1f 个百分点",
}

var enHTML = map[string]string{
	"html.band.net":            "Net points",
	"html.band.average":        "Points per member",
	"html.band.participation":  "Participation",
	"html.band.targets":        "Targets met",
	"html.band.best":           "Best department per head",
	"html.band.members":        "Members",
	"html.vs_previous":         "%s vs previous",
	"html.no_previous":         "no previous to compare",
	"html.targets_met":         "%[1]d of %[2]d",
	"html.trend":               "Monthly trend",
	"html.trend.points":        "Net points per member (bars)",
	"html.trend.participation": "Participation (line)",
	"html.rating_trend":        "Points and ratings trend",
	"html.rating_line":         "Average rating (line, A=4 … D=1)",
	"html.rating":              "rating %s",
	"html.current":             "This period %s",
	"html.previous":            "Previous %s",
	"html.departments":         "Points per member by department",
	"html.answers":             "Answers",
	"html.score":               "%d",
	"html.show_all":            "Show all (%d)",
	"html.pp":                  "%+.1f pp",
}

func init() {
	for k, v := range zhHTML {
		zh[k] = v
	}
	for k, v := range enHTML {
		en[k] = v
	}
}
