package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
)

// member runs `jifen member forget ID`: the member's personal data is
// removed, the ledger's figures stay. The member must first be removed from
// the config, or the next start would bring the name back.
func (m *Main) member(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) != 2 || args[0] != "forget" {
		return usageError{"want: forget ID"}
	}
	id := args[1]
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, c := range a.cfg.Members {
		if c.ID == id {
			return fmt.Errorf("%s is still in %s: remove it from members first, or the next start brings the name back", id, a.cfg.Path)
		}
	}
	sum := sha256.Sum256([]byte(id))
	pseudonym := "已删除成员-" + hex.EncodeToString(sum[:])[:6]
	if err := a.store.ForgetMember(ctx, id, pseudonym); err != nil {
		return err
	}
	rep, err := a.store.Verify()
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("verify found %d problems after forgetting %s", len(rep.Problems), id)
	}
	fmt.Fprintf(m.Stdout, "forgot %s: now %q; %d entries kept, verify ok\n", id, pseudonym, rep.Entries)
	return nil
}
