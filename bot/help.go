package bot

// helpCommands is the order commands are listed in /help.
var helpCommands = []string{"award", "deduct", "thanks", "score", "leaderboard", "history", "rules", "shop", "redeem", "redemptions", "report", "feedback", "survey", "revoke", "approve", "reject", "help"}

// Commands returns the canonical command names in the order /help lists
// them: the command table that the Slack manifest and the README follow
// (bot/slack's TestManifestListsEveryCommand keeps them in step).
func Commands() []string { return append([]string(nil), helpCommands...) }

// help handles /help [command].
func (b *Bot) help(cmd Command) Response {
	msg := Message{Kind: "help", Title: b.t("help.title")}
	if len(cmd.Args) > 0 {
		if name, ok := commandNames[normalizeName(cmd.Args[0])]; ok {
			msg.Text = []string{b.t("usage." + name), b.t("help." + name)}
			return Response{Reply: msg}
		}
	}
	msg.Table = &Table{Columns: []string{b.t("col.command"), b.t("col.description")}}
	for _, name := range helpCommands {
		msg.Table.Rows = append(msg.Table.Rows, []string{b.t("usage." + name), b.t("help." + name)})
	}
	msg.Footer = b.t("help.footer")
	return msg2resp(msg)
}

func msg2resp(m Message) Response { return Response{Reply: m} }
