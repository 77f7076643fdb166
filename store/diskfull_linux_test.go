package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"jifen"
)

// A real fault, not a seam: the store's file is on a small tmpfs that
// fills up, so a commit's write fails with ENOSPC. Every award that was
// answered is on disk, the failed one is answered "outcome unknown", and
// the store takes no more writes; reopened, the file verifies. It needs
// to mount a file system (root, as CI runs), and is skipped elsewhere.
func TestDiskFullFailsTheStoreAndLosesNothingAnswered(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=3m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root", err)
	}
	defer syscall.Unmount(dir, 0)
	path := filepath.Join(dir, "jifen.db")
	s, err := Open(path, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SyncMembers(context.Background(), members(2)); err != nil {
		t.Fatal(err)
	}
	reason := strings.Repeat("客户来信表扬，", 60) // about 1 KiB a write
	var answered []string
	var failure error
	for i := 0; i < 20_000 && failure == nil; i++ {
		key := fmt.Sprintf("award-%05d", i)
		_, _, err := s.write(context.Background(), key, func(tx *Tx) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "m001", Receiver: "m000", Points: 1, Category: "c", Reason: reason})
			return nil, err
		})
		if err != nil {
			failure = err
			break
		}
		answered = append(answered, key)
	}
	if failure == nil {
		t.Fatal("3 MiB never filled up")
	}
	if !errors.Is(failure, ErrOutcomeUnknown) {
		t.Fatalf("the write that met a full disk: %v, want ErrOutcomeUnknown", failure)
	}
	if !errors.Is(s.Err(), ErrFailed) || !errors.Is(s.Err(), syscall.ENOSPC) {
		t.Fatalf("Err = %v, want ErrFailed from ENOSPC", s.Err())
	}
	if _, _, err := s.write(context.Background(), "after", func(tx *Tx) ([]byte, error) { return nil, nil }); !errors.Is(err, ErrFailed) {
		t.Fatalf("a write after the failure: %v", err)
	}
	s.Close()

	// Room again (as after an operator freed some): the file as it is on
	// disk holds every answered award, once, and verifies.
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size=64m"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := s.EntryCount()
	if n != len(answered) && n != len(answered)+1 {
		t.Fatalf("%d entries after %d answered awards (and one of unknown outcome)", n, len(answered))
	}
	for _, key := range answered {
		if _, ok := s.Seen(key); !ok {
			t.Fatalf("answered award %s is not in the file", key)
		}
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", rep.Problems, err)
	}
	t.Logf("%d awards answered before the disk was full; %d entries in the file", len(answered), n)
}
