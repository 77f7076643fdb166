package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	stamped := &debug.BuildInfo{
		Main: debug.Module{Path: "jifen", Version: "v0.0.0-20261129085510-6bf8b28abcde+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "6bf8b28abcdef0123456789abcdef0123456789a"},
			{Key: "vcs.time", Value: "2026-11-29T08:55:10Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	goVersion := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name                string
		info                *debug.BuildInfo
		ldVersion, ldCommit string
		ldDate              string
		want                buildVersion
	}{
		{name: "go run and tests carry no vcs settings", info: &debug.BuildInfo{Main: debug.Module{Path: "jifen", Version: "(devel)"}},
			want: buildVersion{"devel", "unknown", "unknown", goVersion}},
		{name: "no build information at all",
			want: buildVersion{"devel", "unknown", "unknown", goVersion}},
		{name: "go build in a checkout with local changes", info: stamped,
			want: buildVersion{"v0.0.0-20261129085510-6bf8b28abcde+dirty", "6bf8b28abcdef0123456789abcdef0123456789a (modified)", "2026-11-29T08:55:10Z", goVersion}},
		{name: "the release build's -ldflags win", info: stamped, ldVersion: "v1.2.0", ldCommit: "6bf8b28", ldDate: "2026-11-30T00:00:00Z",
			want: buildVersion{"v1.2.0", "6bf8b28", "2026-11-30T00:00:00Z", goVersion}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
			version, commit, date = tc.ldVersion, tc.ldCommit, tc.ldDate
			if got := readVersion(tc.info); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errOut, code := run(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "jifen ") || !strings.Contains(out, "\ngo      "+runtime.Version()) {
			t.Fatalf("%v: %d %q %q", args, code, out, errOut)
		}
	}
	if _, errOut, code := run(t, "", "version", "extra"); code != 2 || !strings.Contains(errOut, "no arguments") {
		t.Fatalf("version extra: %d %q", code, errOut)
	}
	if _, errOut, code := run(t, "", "version", "-h"); code != 0 || !strings.Contains(errOut, "Usage: jifen version\n") || strings.Contains(errOut, "-config") {
		t.Fatalf("version -h: %d %q", code, errOut)
	}
}
