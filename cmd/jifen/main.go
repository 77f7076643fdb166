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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first SIGINT or SIGTERM asks for a clean shutdown (bounded by
	// http.shutdown_timeout). The signals are no longer caught from then
	// on, before anything sees the context end, so a second one stops the
	// process at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Stop(sigs)
		cancel()
	}()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(m.Run(ctx, os.Args[1:]))
}
