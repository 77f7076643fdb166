package main

import (
	"context"
	"flag"

	"jifen"
	"jifen/bot/console"
	"jifen/locale"
	"jifen/store"
)

// chat runs `jifen chat`: commands from stdin, replies on stdout.
func (m *Main) chat(ctx context.Context, fs *flag.FlagSet, args []string) error {
	as := fs.Lookup("as").Value.String()
	if as == "" {
		return usageError{"--as MEMBER is required (an id or a name from the config's members)"}
	}
	if len(args) > 0 {
		return usageError{"unexpected arguments; commands are read from standard input"}
	}
	a, err := m.open(ctx, fs)
	if err != nil {
		return err
	}
	defer a.Close()
	var caller jifen.Member
	var unknown error
	if err := a.store.Read(ctx, func(r store.Reader) error {
		caller, unknown = console.FindMember(r, as)
		return nil
	}); err != nil {
		return err
	}
	if unknown != nil {
		return usageError{locale.Error(a.cfg.Language, unknown)}
	}
	s := &console.Session{Bot: a.bot, Dir: ledgerDir{ctx, a.store}, Caller: caller, Lang: a.bot.Language(), Prompt: isTerminal(m.Stdin)}
	return s.Run(ctx, m.Stdin, m.Stdout)
}

// ledgerDir is the console's directory: each look-up is a read of its
// own. A look-up whose read fails finds no one (the console then names a
// member by id, or says it knows no such member).
type ledgerDir struct {
	ctx context.Context
	st  store.Ledger
}

func (d ledgerDir) Member(id string) (m jifen.Member, ok bool) {
	err := d.st.Read(d.ctx, func(r store.Reader) error {
		m, ok = r.Member(id)
		return nil
	})
	if err != nil {
		return jifen.Member{}, false
	}
	return m, ok
}

func (d ledgerDir) MembersByName(name string) (ms []jifen.Member) {
	if err := d.st.Read(d.ctx, func(r store.Reader) error {
		ms = r.MembersByName(name)
		return nil
	}); err != nil {
		return nil
	}
	return ms
}
