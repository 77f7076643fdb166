package main

import (
	"context"
	"flag"

	"jifen/bot/console"
	"jifen/locale"
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
	caller, err := console.FindMember(a.store, as)
	if err != nil {
		return usageError{locale.Error(a.cfg.Language, err)}
	}
	s := &console.Session{Bot: a.bot, Dir: a.store, Caller: caller, Lang: a.bot.Language(), Prompt: isTerminal(m.Stdin)}
	return s.Run(ctx, m.Stdin, m.Stdout)
}
