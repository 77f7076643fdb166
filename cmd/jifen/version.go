package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version, commit and date are set by the release build
// (scripts/release.sh): -ldflags "-X main.version=v1.2.0 -X main.commit=…
// -X main.date=…". Left empty, `jifen version` reads them from the build
// information the Go toolchain stamps into every binary built inside a git
// checkout (vcs.revision, vcs.time, vcs.modified); `go run` and tests have
// none, so they say "unknown".
var version, commit, date string

// buildVersion is what `jifen version` prints.
type buildVersion struct {
	Version, Commit, Date, Go string
}

// readVersion merges the -ldflags overrides over the build information;
// info is nil when the binary carries none.
func readVersion(info *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: "devel", Commit: "unknown", Date: "unknown",
		Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if info != nil {
		if mv := info.Main.Version; mv != "" && mv != "(devel)" {
			v.Version = mv
		}
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Date = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && v.Commit != "unknown" {
			v.Commit += " (modified)"
		}
	}
	if version != "" {
		v.Version = version
	}
	if commit != "" {
		v.Commit = commit
	}
	if date != "" {
		v.Date = date
	}
	return v
}

func (v buildVersion) String() string {
	return fmt.Sprintf("jifen %s\ncommit  %s\ndate    %s\ngo      %s\n", v.Version, v.Commit, v.Date, v.Go)
}

func (m *Main) versionCmd(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"version takes no arguments"}
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	fmt.Fprint(m.Stdout, readVersion(info))
	return nil
}
