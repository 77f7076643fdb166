// Command jifen is the points-based performance management bot (积分绩效管理)
// for Feishu and Slack. main only handles signals and the exit code; Main
// does the work so tests can run every subcommand in-process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// The zone database inside the binary, so the configured zone
	// (Asia/Shanghai) loads on a minimal image or a host without
	// /usr/share/zoneinfo. config imports it too; the binary must not depend
	// on that staying so.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(m.Run(ctx, os.Args[1:]))
}
