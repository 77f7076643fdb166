package bot

import "jifen"

// The neutral message model. Command logic builds these; each adapter
// renders them (Block Kit, Feishu card JSON 2.0, plain text). Every string
// in a Message is plain text, never markup: adapters escape all of it, so
// user-supplied text (a reason, a name) can never mention @channel/@所有人,
// inject a link or break a card's JSON.

// Message is one reply or post.
type Message struct {
	// Kind tells adapters what it is, for styling: award, deduct, thanks,
	// score, leaderboard, history, rules, help, approval, revoke, error, info.
	Kind    string   `json:"kind"`
	Title   string   `json:"title,omitempty"`
	Text    []string `json:"text,omitempty"` // paragraphs
	Fields  []Field  `json:"fields,omitempty"`
	Table   *Table   `json:"table,omitempty"`
	Chart   *Chart   `json:"chart,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	// Blocks follow the buttons: paragraphs each with a row of buttons of
	// their own (a survey's questions and their answers).
	Blocks []Block `json:"blocks,omitempty"`
	Footer string  `json:"footer,omitempty"`
	// Public messages are announced in the conversation; the others are
	// shown to the caller only (ephemeral where the platform allows).
	Public bool `json:"public,omitempty"`
}

// Field is a labelled value (shown side by side where the platform can).
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Table is a small table: leaderboards, history, rules.
type Table struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Chart is a bar chart of labelled values, for platforms that draw charts.
type Chart struct {
	Title  string    `json:"title,omitempty"`
	Labels []string  `json:"labels"`
	Values []float64 `json:"values"`
}

// Button runs a command for whoever clicks it. Value is the command text
// (for example "/approve 12"), so a click goes through exactly the same
// parsing, authorization and idempotency as the typed command.
type Button struct {
	Label    string `json:"label"`
	ActionID string `json:"action_id"` // ActionCommand
	Value    string `json:"value"`
	Style    string `json:"style,omitempty"` // primary, danger
	// URL, when set, makes a link button that opens the address instead of
	// running a command.
	URL string `json:"url,omitempty"`
	// Ask, when set, asks the clicker for a text (a rejection's reason)
	// that is appended to the command; it is the prompt.
	Ask string `json:"ask,omitempty"`
}

// Block is a paragraph with its own buttons. At most one button of a
// block asks for a text (Button.Ask): platforms show it as a text input
// with that button to submit it (a Slack modal, a Feishu form).
type Block struct {
	Text    string   `json:"text"`
	Note    string   `json:"note,omitempty"` // a smaller line under the text (the current answer)
	Buttons []Button `json:"buttons,omitempty"`
}

// ActionCommand is the action id of buttons whose value is a command.
const ActionCommand = "jifen_command"

// Response is what a command produces: the reply to the caller, and
// notices to other members (sent as direct messages by the adapters).
type Response struct {
	Reply   Message  `json:"reply"`
	Notices []Notice `json:"notices,omitempty"`
	// Entries are the ledger entries the command wrote, if any.
	Entries []uint64 `json:"entries,omitempty"`
	// Replayed: the delivery's key was seen before, and this is the first
	// response again, nothing applied (its notices were queued the first
	// time, with the command's write).
	Replayed bool `json:"-"`
	// Failed: the command did not run because of something unexpected (the
	// store, a deadline, a platform lookup), so nothing was written and the
	// same delivery may succeed later. An adapter answers the platform so
	// that it delivers the event again; its idempotency key makes that safe.
	Failed bool `json:"-"`
	// Code is the class of the error that refused the command (Reply is
	// then of kind "error"), "" when it ran: the web console answers
	// with the matching HTTP status.
	Code jifen.Code `json:"-"`
	// Queued: the messages of Request.Reply were queued with the
	// command's write (by the first delivery, on a replay).
	Queued bool `json:"queued,omitempty"`
}

// Notice is a direct message to one member.
type Notice struct {
	To      string  `json:"to"` // member id
	Message Message `json:"message"`
}
