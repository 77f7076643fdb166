package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// When the disk under the store fills up, the commit that meets it fails
// the store and serve stops on its own, exiting non-zero (for its
// supervisor to start it again once there is room), within its shutdown
// deadline. It needs to mount a small tmpfs (root, as CI runs) and is
// skipped elsewhere.
func TestServeStopsWhenTheStoreFails(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=3m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root", err)
	}
	defer syscall.Unmount(dir, 0)
	fake := slacktest.NewTestServer()
	fake.Start()
	defer fake.Stop()
	path := exampleConfig(t, t.TempDir(), "slack:\n  enabled: false", "slack:\n  enabled: true\n  api_url: "+fake.GetAPIURL(),
		"shutdown_timeout: 15s", "shutdown_timeout: 2s")
	t.Setenv("JIFEN_STORE", filepath.Join(dir, "jifen.db"))
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-fake")
	t.Setenv("SLACK_SIGNING_SECRET", "fake-secret")

	base, stderr, done := launchServe(t, context.Background(), path, nil)
	// 张伟, the sales manager, writes long feedback to 王芳 until the disk
	// is full: each is about 1.5 KiB with its key.
	note := strings.Repeat("复盘扎实，", 99)
	for i := 0; ; i++ {
		select {
		case code := <-done:
			if code == 0 {
				t.Fatalf("serve exited 0 after the store failed: %s", stderr)
			}
			if log := stderr.String(); !strings.Contains(log, "store failed") || !strings.Contains(log, "no space left on device") {
				t.Fatalf("the log does not say the store failed:\n%s", log)
			}
			t.Logf("serve exited %d after %d commands", code, i)
			return
		default:
		}
		if i > 20_000 {
			t.Fatalf("serve still runs after %d commands: %s", i, stderr)
		}
		resp, err := signedSlashQuiet(base, "fake-secret", "U0123ABCD", "/feedback", "<@U0456EFGH> "+note, fmt.Sprint("t-full-", i))
		if err == nil {
			resp.Body.Close()
		} else {
			time.Sleep(10 * time.Millisecond) // the server is going away
		}
	}
}
