package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"jifen"
	"jifen/store"
	"jifen/store/postgres"
	"jifen/store/storecopy"
)

func storeFlags(fs *flag.FlagSet) {
	fs.String("from", "", "the store to copy: bbolt:PATH or postgres://USER:PASSWORD@HOST/DATABASE (required)")
	fs.String("to", "", "the empty store to copy into, named the same way (required)")
}

// storeCmd runs `jifen store copy --from URL --to URL`: everything one
// store holds, copied into an empty one and proved equal (package
// storecopy). A URL is bbolt:PATH or postgres://… (postgresql://…).
func (m *Main) storeCmd(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || args[0] != "copy" {
		return usageError{"give the action: jifen store copy --from URL --to URL"}
	}
	from, err := parseStoreURL(fs.Lookup("from").Value.String(), "--from")
	if err != nil {
		return err
	}
	to, err := parseStoreURL(fs.Lookup("to").Value.String(), "--to")
	if err != nil {
		return err
	}
	if from.same(to) {
		return usageError{"--from and --to name the same store"}
	}
	// No error leaves with a password in it, whatever reported it.
	err = m.storeCopy(ctx, from, to)
	return from.hide(to.hide(err))
}

func (m *Main) storeCopy(ctx context.Context, from, to storeURL) error {
	start := time.Now()
	// The target computes its figures in the source's zone.
	zone, err := from.zone(ctx)
	if err != nil {
		return fmt.Errorf("read the source %s: %w", from, err)
	}
	if zone == "" {
		return fmt.Errorf("the source %s holds no jifen ledger", from)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("the source's time zone %q: %w", zone, err)
	}
	if z, err := to.zone(ctx); err == nil && z != "" && z != zone {
		return fmt.Errorf("the target %s computes its figures in time zone %s, the source in %s: a copy goes only into an empty store", to, z, zone)
	}
	logger := m.logger(slog.LevelWarn)
	src, err := from.open(ctx, loc, m.Clock, logger, false)
	if err != nil {
		return fmt.Errorf("open the source %s: %w", from, err)
	}
	defer src.Close()
	created := false
	if to.path != "" {
		_, err := os.Stat(to.path)
		created = errors.Is(err, os.ErrNotExist)
	}
	dst, err := to.open(ctx, loc, m.Clock, logger, true)
	if err != nil {
		return fmt.Errorf("open the target %s: %w", to, err)
	}
	written := false
	defer func() {
		dst.Close()
		// A bbolt file this copy created and wrote nothing into goes.
		if created && !written {
			_ = os.Remove(to.path)
		}
	}()
	fmt.Fprintf(m.Stdout, "store copy: %s → %s (time zone %s)\n", from, to, zone)
	res, err := storecopy.Copy(ctx, src, dst, storecopy.Options{From: from.String(), Progress: func(n int) {
		if n%100000 < 5000 {
			fmt.Fprintf(m.Stderr, "store copy: %d records copied\n", n)
		}
	}})
	if res != nil {
		written = true
		fmt.Fprintf(m.Stdout, "copied: %s\n", copiedLine(res.Copied))
	}
	if err != nil {
		var un *store.ErrUnfinishedCopy
		var ne *store.NotEmptyError
		var open *store.ErrOpenAnonymousRound
		switch {
		case errors.As(err, &un), errors.As(err, &ne), errors.As(err, &open):
			return err
		case res != nil && len(res.Copied) > 0:
			return fmt.Errorf("%w\nthe target %s holds an unfinished copy: empty it (remove the bbolt file, or drop and create the PostgreSQL database) before copying again", err, to)
		}
		return err
	}
	fmt.Fprintf(m.Stdout, "verify (target): ok, %s consistent with the ledger\n", checked(res.Verify))
	fmt.Fprintf(m.Stdout, "compared: %d records equal on both sides; report JSON equal for %d periods", res.Compared, len(res.Periods))
	if len(res.Periods) > 0 {
		fmt.Fprintf(m.Stdout, " (%s … %s)", res.Periods[0], res.Periods[len(res.Periods)-1])
	}
	fmt.Fprintf(m.Stdout, "; balances equal for %d members; stock equal for %d items\n", res.Members, res.Items)
	if res.Raised > 0 {
		fmt.Fprintf(m.Stdout, "note: %d entries were recorded before the entry before them (PostgreSQL replicas append concurrently); the bbolt store records them at that entry's time, their effective times (and so every figure) unchanged\n", res.Raised)
	}
	fmt.Fprintf(m.Stdout, "store copy: done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// copiedLine lists the records copied, by kind, in the order copied.
func copiedLine(n map[string]int) string {
	var parts []string
	for _, k := range store.RecordKinds {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// storeURL is a store named on the command line.
type storeURL struct {
	path string // bbolt
	url  string // postgres, as given
	// shown is the URL with its password replaced; password is the one
	// to hide from every message.
	shown, password string
}

func parseStoreURL(s, flagName string) (storeURL, error) {
	switch {
	case s == "":
		return storeURL{}, usageError{flagName + " is required: bbolt:PATH or postgres://USER@HOST/DATABASE"}
	case strings.HasPrefix(s, "bbolt:"):
		p := strings.TrimPrefix(s, "bbolt:")
		if p == "" {
			return storeURL{}, usageError{flagName + ": bbolt:PATH needs a path"}
		}
		return storeURL{path: p, shown: "bbolt:" + p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			// url.Parse's error quotes the URL.
			return storeURL{}, usageError{flagName + ": not a valid PostgreSQL URL"}
		}
		pw, _ := u.User.Password()
		return storeURL{url: s, shown: u.Redacted(), password: pw}, nil
	}
	return storeURL{}, usageError{flagName + ": a store is bbolt:PATH or postgres://USER@HOST/DATABASE"}
}

func (u storeURL) String() string { return u.shown }

func (u storeURL) same(o storeURL) bool {
	if u.path != "" && o.path != "" {
		a, _ := filepath.Abs(u.path)
		b, _ := filepath.Abs(o.path)
		return a == b
	}
	return u.url != "" && u.url == o.url
}

// hide replaces the URL and its password in err's message.
func (u storeURL) hide(err error) error {
	if err == nil || u.url == "" {
		return err
	}
	msg := err.Error()
	clean := strings.ReplaceAll(msg, u.url, u.shown)
	if u.password != "" {
		clean = strings.ReplaceAll(clean, u.password, "xxxxx")
		clean = strings.ReplaceAll(clean, url.QueryEscape(u.password), "xxxxx")
		clean = strings.ReplaceAll(clean, url.PathEscape(u.password), "xxxxx")
	}
	if clean == msg {
		return err
	}
	return hiddenError{msg: clean, err: err}
}

// hiddenError is an error whose message had a password taken out; it
// unwraps to the original for errors.Is and As.
type hiddenError struct {
	msg string
	err error
}

func (e hiddenError) Error() string { return e.msg }
func (e hiddenError) Unwrap() error { return e.err }

// zone reads the store's time zone without opening it ("" when it holds
// no ledger, or for a bbolt file that does not exist).
func (u storeURL) zone(ctx context.Context) (string, error) {
	if u.path != "" {
		if _, err := os.Stat(u.path); errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return store.FileZone(u.path)
	}
	return postgres.Zone(ctx, u.url)
}

// copyStore is a store a copy reads and writes.
type copyStore interface {
	storecopy.Target
}

// open opens the store; a bbolt source must exist, a bbolt target is
// created. A bbolt target is written without fsync, and synced when the
// copy is proved.
func (u storeURL) open(ctx context.Context, loc *time.Location, clock jifen.Clock, logger *slog.Logger, target bool) (copyStore, error) {
	if u.path != "" {
		if _, err := os.Stat(u.path); !target && err != nil {
			return nil, err
		}
		return store.Open(u.path, store.Options{Location: loc, Clock: clock, Logger: logger, NoSync: target})
	}
	return postgres.Open(ctx, u.url, postgres.Options{Location: loc, Clock: clock, Logger: logger})
}
