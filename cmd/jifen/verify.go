package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"jifen/store"
)

// verify runs `jifen verify`: exit 0 when the store is consistent (every
// aggregate matches the ledger, and the records beside it agree with the
// entries: see docs/store-invariants.md), 1 with the differences, one
// PROBLEM line each, otherwise.
func (m *Main) verify(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"unexpected arguments"}
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.store.Verify()
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(m.Stdout, "PROBLEM", p)
	}
	if !rep.OK() {
		fmt.Fprintf(m.Stdout, "verify: %d problems in %s\n", len(rep.Problems), checked(rep))
		return exitCode(1)
	}
	fmt.Fprintf(m.Stdout, "verify: ok, %s consistent with the ledger\n", checked(rep))
	return nil
}

// checked says what Verify went through.
func checked(rep store.VerifyReport) string {
	return fmt.Sprintf("%d entries, %d aggregates, %d redemptions, %d approvals (%d open), %d idempotency keys, %d survey rounds (%d answers), %d messages to send",
		rep.Entries, rep.Aggregates, rep.Redemptions, rep.Approvals, rep.Open, rep.Keys, rep.Rounds, rep.Answers, rep.Outbox)
}

// backup runs `jifen backup OUT.db`.
func (m *Main) backup(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 {
		return usageError{"give the output file: jifen backup --config FILE OUT.db"}
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	if err := bboltOnly(cfg, "backup"); err != nil {
		return err
	}
	// A backup named like yesterday's must not silently replace it.
	if _, err := os.Lstat(args[0]); err == nil && !fs.Lookup("force").Value.(flag.Getter).Get().(bool) {
		return fmt.Errorf("%s exists: choose another name, or give --force to replace it", args[0])
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := backupTo(a.store, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "backup: wrote %s (%d bytes)\n", args[0], n)
	return nil
}
