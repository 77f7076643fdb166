package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"jifen/store"
)

// restore runs `jifen restore IN.db`. It refuses anything that is not a
// jifen store this version reads (an empty, foreign, truncated or damaged
// file, a newer schema) before touching anything; the file is verified
// (every aggregate recomputed from its entries); the running store must be
// free (not held by `jifen serve`); it says what it replaces with what; and
// the old file is kept beside the new one under a name of its own, never
// over an earlier safety copy.
func (m *Main) restore(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 {
		return usageError{"want the backup file to restore: IN.db"}
	}
	cfg, err := loadConfig(fs)
	if err != nil {
		return err
	}
	if err := bboltOnly(cfg, "restore"); err != nil {
		return fmt.Errorf("%w; nothing was restored", err)
	}
	target, in := cfg.Store.Path, args[0]
	incoming, err := store.Inspect(in)
	if err != nil {
		return fmt.Errorf("%w; nothing was restored", err)
	}
	staged := target + ".restore"
	if err := copyFile(in, staged); err != nil {
		return err
	}
	defer os.Remove(staged)
	st, err := store.Open(staged, store.Options{Location: cfg.Location, LockTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("%s is not a jifen store: %w; nothing was restored", in, err)
	}
	rep, err := st.Verify()
	st.Close()
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was restored", in, err)
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(m.Stderr, "PROBLEM", p)
		}
		return fmt.Errorf("%s fails verification (%d problems); nothing was restored", in, len(rep.Problems))
	}
	safety := ""
	if _, err := os.Stat(target); err == nil {
		current, err := store.Inspect(target)
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%s is in use (is jifen serve running?); stop it first, nothing was restored", target)
		}
		if err != nil {
			// A damaged live store is what a restore is for: say so, and
			// keep it all the same.
			fmt.Fprintf(m.Stderr, "the current store does not read (%v); it is kept as it is\n", err)
		} else {
			fmt.Fprintf(m.Stdout, "replacing %s (%s, months %s)\n     with %s (%s, months %s)\n",
				target, current, current.Periods(cfg.Location), in, incoming, incoming.Periods(cfg.Location))
		}
		if safety, err = safetyName(target, m.now()); err != nil {
			return err
		}
		if err := os.Rename(target, safety); err != nil {
			return err
		}
	}
	if err := os.Rename(staged, target); err != nil {
		return err
	}
	if safety == "" {
		fmt.Fprintf(m.Stdout, "restored %s: %s, verify ok\n", in, incoming)
	} else {
		fmt.Fprintf(m.Stdout, "restored %s: %s, verify ok; the previous store is %s\n", in, incoming, safety)
	}
	return nil
}

// safetyName is a name for the copy of the store a restore replaces:
// target.before-restore-<UTC time>, with a number added while that exists,
// so that no restore ever overwrites what an earlier one kept.
func safetyName(target string, now time.Time) (string, error) {
	base := target + ".before-restore-" + now.UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		_, err := os.Lstat(name)
		if errors.Is(err, os.ErrNotExist) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := createPrivate(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
