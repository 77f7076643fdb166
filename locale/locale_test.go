package locale

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var argIndex = regexp.MustCompile(`%\[(\d+)\]`)

// Every message exists in every language and takes the same arguments.
func TestCatalogsAgree(t *testing.T) {
	for key, zhText := range zh {
		enText, ok := en[key]
		if !ok {
			t.Errorf("%s: no English text", key)
			continue
		}
		if a, b := maxArg(zhText), maxArg(enText); a != b {
			t.Errorf("%s: zh uses %d arguments, en %d", key, a, b)
		}
	}
	for key := range en {
		if _, ok := zh[key]; !ok {
			t.Errorf("%s: no Chinese text", key)
		}
	}
}

func maxArg(s string) int {
	n := 0
	for _, m := range argIndex.FindAllStringSubmatch(s, -1) {
		if v := int(m[1][0] - '0'); v > n {
			n = v
		}
	}
	return n
}

// keyUse finds message keys written as literals in the code that shows
// messages: b.t("key", …), Errorf(CODE, "key", …), countKey("key", …).
var keyUse = regexp.MustCompile(`(?:\bt\(|Errorf\([A-Za-z.]+,|countKey\()\s*"([a-z_]+\.[a-z_.]+)"`)

// Every key the code uses literally is in the catalog: a missing one would
// show the key itself to a user.
func TestUsedKeysExist(t *testing.T) {
	var files []string
	for _, dir := range []string{"../bot", "../bot/console", "../bot/slack", "../bot/feishu", "../rules", "../store", "../cmd/jifen", "../survey", "../report"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, m...)
	}
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyUse.FindAllStringSubmatch(string(data), -1) {
			found++
			key := m[1]
			if strings.HasSuffix(key, ".") || strings.HasSuffix(key, "_") {
				continue // a prefix completed at run time ("award.text."+kind)
			}
			if _, ok := zh[key]; !ok {
				if _, ok := zh[key+".one"]; !ok {
					t.Errorf("%s uses %q, which is not in the catalog", f, key)
				}
			}
		}
	}
	if found < 50 {
		t.Fatalf("found only %d key uses; the pattern no longer matches the code", found)
	}
}
