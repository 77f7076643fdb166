package bot

import (
	"strconv"
	"strings"
)

// scheduleInWords says a cron spec the way people say it ("每月 25 日
// 10:00", "monthly on the 25th at 10:00") for the shapes schedules
// usually take: daily, on weekdays, weekly on a day, monthly on a day,
// each at one time. Anything else (steps, lists, ranges, @every, a
// month) is shown as the cron text itself, which is at least exact.
func (b *Bot) scheduleInWords(spec string) string {
	f := strings.Fields(spec)
	if len(f) != 5 || f[3] != "*" {
		return spec
	}
	minute, okM := cronNumber(f[0], 0, 59)
	hour, okH := cronNumber(f[1], 0, 23)
	if !okM || !okH {
		return spec
	}
	at := twoDigits(hour) + ":" + twoDigits(minute)
	dom, dow := f[2], f[4]
	switch {
	case dom == "*" && dow == "*":
		return b.t("schedule.daily", at)
	case dom == "*" && dow == "1-5":
		return b.t("schedule.weekdays", at)
	case dom == "*":
		d, ok := cronNumber(dow, 0, 7)
		if !ok {
			return spec
		}
		return b.t("schedule.weekly", b.t("schedule.weekday."+strconv.Itoa(d%7)), at)
	case dow == "*":
		d, ok := cronNumber(dom, 1, 31)
		if !ok {
			return spec
		}
		return b.t("schedule.monthly", d, b.t("schedule.ordinal."+ordinalClass(d)), at)
	}
	return spec
}

// cronNumber reads a cron field that is one plain number within [lo, hi].
func cronNumber(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi || strconv.Itoa(n) != s && "0"+strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ordinalClass picks the English ordinal suffix's key (1st, 2nd, 3rd,
// 4th, 11th, 21st …); languages without one map every class to "".
func ordinalClass(n int) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}
