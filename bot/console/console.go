// Package console is the local adapter behind `jifen chat`: it reads one
// command per line, runs it through the same command core and store as the
// chat platforms, and prints the replies as plain text. It is how a newcomer
// tries jifen without a Slack or Feishu app, and how scripted conversations
// are tested.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"jifen"
	"jifen/bot"
	"jifen/locale"
)

// Directory finds members for --as and the :as line.
type Directory interface {
	Member(id string) (jifen.Member, bool)
	MembersByName(name string) []jifen.Member
}

// Session is one local conversation.
type Session struct {
	Bot    *bot.Bot
	Dir    Directory
	Caller jifen.Member
	Lang   string
	// Prompt, when set (an interactive terminal), greets the caller at the
	// start and is printed before each line.
	Prompt bool
}

// FindMember resolves a member by id or by name.
func FindMember(dir Directory, who string) (jifen.Member, error) {
	who = strings.TrimLeft(strings.TrimSpace(who), "@＠")
	if m, ok := dir.Member(who); ok {
		return m, nil
	}
	switch ms := dir.MembersByName(who); len(ms) {
	case 1:
		return ms[0], nil
	case 0:
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.unknown_member", who)
	default:
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		return jifen.Member{}, jifen.Errorf(jifen.EINVALID, "err.ambiguous_member", who, ids)
	}
}

// Run reads commands from in until EOF (or a line "exit"/"quit") and writes
// replies to out. Blank lines and lines starting with "//" are skipped, so a
// script can carry comments. ":as NAME" switches who is speaking.
func (s *Session) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if s.Prompt {
		// A person at a terminal is told who they are and where help is;
		// scripted input gets the transcript only.
		fmt.Fprintln(out, locale.T(s.Lang, "console.greeting", s.Caller.Name, s.Caller.ID, s.Caller.Role))
	}
	for {
		if s.Prompt {
			fmt.Fprintf(out, "%s> ", s.Caller.Name)
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "//"):
			continue
		case line == "exit" || line == "quit":
			return nil
		case strings.HasPrefix(line, ":as "):
			m, err := FindMember(s.Dir, strings.TrimPrefix(line, ":as "))
			if err != nil {
				fmt.Fprintln(out, locale.Error(s.Lang, err))
				continue
			}
			s.Caller = m
			fmt.Fprintln(out, locale.T(s.Lang, "console.now_as", m.Name, m.ID, m.Role))
			continue
		}
		if !s.Prompt {
			// Echo scripted input so the transcript reads as a conversation.
			fmt.Fprintf(out, "%s> %s\n", s.Caller.Name, line)
		}
		resp := s.Bot.Handle(ctx, bot.Request{Caller: s.Caller, Text: line, Source: "console"})
		fmt.Fprint(out, Render(resp.Reply))
		for _, n := range resp.Notices {
			name := n.To
			if m, ok := s.Dir.Member(n.To); ok {
				name = m.Name
			}
			fmt.Fprint(out, indent(locale.T(s.Lang, "console.notice", name)+"\n"+Render(n.Message)))
		}
		fmt.Fprintln(out)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return sc.Err()
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" && l != "\n" {
			b.WriteString("    ")
		}
		b.WriteString(l)
	}
	return b.String()
}
