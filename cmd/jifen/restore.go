package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"jifen/config"
	"jifen/store"
)

// restore runs `jifen restore IN.db`: the file is verified first (every
// aggregate recomputed from its entries), the running store must be free
// (not held by `jifen serve`), and the old file is kept beside the new one.
func (m *Main) restore(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 {
		return usageError{"want the backup file to restore: IN.db"}
	}
	cfg, err := config.Load(fs.Lookup("config").Value.String())
	if err != nil {
		return err
	}
	target, in := cfg.Store.Path, args[0]
	staged := target + ".restore"
	if err := copyFile(in, staged); err != nil {
		return err
	}
	defer os.Remove(staged)
	st, err := store.Open(staged, store.Options{Location: cfg.Location, LockTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("%s is not a jifen store: %w", in, err)
	}
	rep, err := st.Verify()
	st.Close()
	if err != nil {
		return err
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(m.Stderr, "PROBLEM", p)
		}
		return fmt.Errorf("%s fails verification (%d problems); nothing was restored", in, len(rep.Problems))
	}
	if _, err := os.Stat(target); err == nil {
		cur, err := store.Open(target, store.Options{Location: cfg.Location, LockTimeout: time.Second})
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%s is in use (is jifen serve running?); stop it first, nothing was restored", target)
		}
		if err != nil {
			return err
		}
		cur.Close()
		if err := os.Rename(target, target+".before-restore"); err != nil {
			return err
		}
	}
	if err := os.Rename(staged, target); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "restored %s: %d entries, verify ok; the previous store is %s.before-restore\n", in, rep.Entries, target)
	return nil
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
