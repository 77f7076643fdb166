package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
)

// Write writes each format with its own function (JSON indented, as
// `jifen report` always has) and refuses an unknown format.
func TestWrite(t *testing.T) {
	l := &fakeLedger{members: []jifen.Member{{ID: "x", Name: "甲", Department: "研发部", Role: jifen.RoleEmployee}}}
	d := time.Date(2026, 11, 5, 10, 0, 0, 0, shanghai)
	l.add(jifen.Entry{Kind: jifen.KindAward, At: d, Receiver: "x", Points: 10})
	s, err := Analyze(l, jifen.PeriodOf(jifen.Month, d, shanghai), Options{Location: shanghai, Now: december, Catalog: &rules.Catalog{}, T: zh})
	if err != nil {
		t.Fatal(err)
	}
	var md, page, got bytes.Buffer
	if err := Markdown(&md, s, zh); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&page, s, zh, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for format, want := range map[string][]byte{"md": md.Bytes(), "html": page.Bytes(), "json": append(js, '\n')} {
		got.Reset()
		if err := Write(&got, s, format, zh, "zh-CN"); err != nil || !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: %v, %d bytes, want %d", format, err, got.Len(), len(want))
		}
	}
	got.Reset()
	if err := Write(&got, s, "xlsx", zh, "zh-CN"); err != nil || !bytes.HasPrefix(got.Bytes(), []byte("PK")) {
		t.Errorf("xlsx: %v", err)
	}
	if err := Write(&got, s, "pdf", zh, "zh-CN"); err == nil {
		t.Error("pdf was written")
	}
}
