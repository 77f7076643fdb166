package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// AckedAward is one line of the --acked file: an award delivery, the
// token its reason ends with (how a checker finds it in the ledger), the
// idempotency key the server records for it, and what its answers said.
type AckedAward struct {
	Token    string
	Platform string
	Status   Status
	Key      string
	Attempts int // requests answered with 200
	// Replicas are the servers (by their index in --url) that answered
	// it with 200, in order.
	Replicas []int
}

const ackedHeader = "# token\tplatform\tstatus\tkey\tanswered\treplicas"

// WriteAcked writes the award deliveries that were answered: one line
// each, tab-separated, after a header line.
func WriteAcked(w io.Writer, awards []AckedAward) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, ackedHeader)
	for _, a := range awards {
		if a.Status == Unacked {
			continue
		}
		rs := make([]string, len(a.Replicas))
		for i, r := range a.Replicas {
			rs[i] = strconv.Itoa(r)
		}
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%d\t%s\n", a.Token, a.Platform, a.Status, a.Key, a.Attempts, orDash(strings.Join(rs, ",")))
	}
	return bw.Flush()
}

// ReadAcked reads an --acked file.
func ReadAcked(r io.Reader) ([]AckedAward, error) {
	var out []AckedAward
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 && len(f) != 6 { // files of before the replicas column have 5
			return nil, fmt.Errorf("line %d: want 6 tab-separated fields, got %d", n, len(f))
		}
		k, err := strconv.Atoi(f[4])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		a := AckedAward{Token: f[0], Platform: f[1], Status: Status(f[2]), Key: f[3], Attempts: k}
		if len(f) == 6 && f[5] != "-" {
			for _, r := range strings.Split(f[5], ",") {
				i, err := strconv.Atoi(r)
				if err != nil {
					return nil, fmt.Errorf("line %d: replicas %q: %v", n, f[5], err)
				}
				a.Replicas = append(a.Replicas, i)
			}
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// ReadDeliveries reads a --sent file (JSON lines).
func ReadDeliveries(r io.Reader) ([]Delivery, error) {
	var out []Delivery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var d Delivery
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if d.Platform != "slack" && d.Platform != "feishu" {
			return nil, fmt.Errorf("line %d: unknown platform %q", n, d.Platform)
		}
		out = append(out, d)
	}
	return out, sc.Err()
}

// tokenWord is how a load token looks at the end of a reason.
var tokenWord = regexp.MustCompile(`^ld-[a-z0-9]+-[0-9]{7}$`)

// LedgerTokens counts the load tokens in a ledger export (`jifen export
// ledger --format csv`): the last word of each entry's reason.
func LedgerTokens(r io.Reader) (map[string]int, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("ledger export: %v", err)
	}
	col := slices.Index(header, "reason")
	if col < 0 {
		return nil, errors.New("ledger export has no reason column")
	}
	out := map[string]int{}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ledger export: %v", err)
		}
		words := strings.Fields(row[col])
		if len(words) > 0 && tokenWord.MatchString(words[len(words)-1]) {
			out[words[len(words)-1]]++
		}
	}
}

// Check is the comparison of what the generator was told with the ledger.
type Check struct {
	Acked       int      // awards the server confirmed (Slack) or accepted (Feishu)
	Found       int      // of those, in the ledger exactly once
	Lost        []string // confirmed or accepted, not in the ledger
	Doubled     []string // in the ledger more than once (any award)
	RefusedIn   []string // answered with an error, yet in the ledger
	Redelivered int      // confirmed awards answered more than once
	Uncertain   int      // placeholder answers, or never answered: in the ledger at most once
	UncertainIn int      // of those, in the ledger
	Lines       int      // answered award lines read
	ByPlatform  map[string]*PlatformCheck
}

// PlatformCheck is Check's figures for one platform.
type PlatformCheck struct{ Acked, Found, Lost, Doubled int }

// OK reports whether every confirmed award is in the ledger exactly once,
// and nothing more.
func (c *Check) OK() bool {
	return len(c.Lost) == 0 && len(c.Doubled) == 0 && len(c.RefusedIn) == 0
}

// CheckLedger compares the acked files of one or more runs (the same
// tokens may appear in several: a re-delivery run) with the ledger's
// token counts. An award must be in the ledger exactly once when any
// answer confirmed it (Slack's announcement) or accepted it (Feishu's 200,
// after which Feishu never re-delivers); never when every answer was an
// error; and at most once otherwise.
func CheckLedger(runs [][]AckedAward, ledger map[string]int) *Check {
	type award struct {
		platform string
		status   Status
		answered int
	}
	all := map[string]*award{}
	var order []string
	c := &Check{ByPlatform: map[string]*PlatformCheck{}}
	for _, run := range runs {
		for _, a := range run {
			c.Lines++
			x, ok := all[a.Token]
			if !ok {
				x = &award{platform: a.Platform, status: Unacked}
				all[a.Token] = x
				order = append(order, a.Token)
			}
			x.answered += a.Attempts
			// A confirmation in any run wins; a refusal counts only when
			// nothing ever confirmed it.
			switch {
			case a.Status == Applied || a.Status == Acked:
				if x.status != Applied {
					x.status = a.Status
				}
			case a.Status == Refused && x.status != Applied && x.status != Acked:
				x.status = Refused
			case a.Status == Deferred && x.status == Unacked:
				x.status = Deferred
			}
		}
	}
	for _, tok := range order {
		x := all[tok]
		p := c.ByPlatform[x.platform]
		if p == nil {
			p = &PlatformCheck{}
			c.ByPlatform[x.platform] = p
		}
		n := ledger[tok]
		if n > 1 {
			c.Doubled = append(c.Doubled, tok)
			p.Doubled++
		}
		switch x.status {
		case Applied, Acked:
			c.Acked++
			p.Acked++
			if x.answered > 1 {
				c.Redelivered++
			}
			switch n {
			case 0:
				c.Lost = append(c.Lost, tok)
				p.Lost++
			case 1:
				c.Found++
				p.Found++
			}
		case Refused:
			if n > 0 {
				c.RefusedIn = append(c.RefusedIn, tok)
			}
		default:
			c.Uncertain++
			if n > 0 {
				c.UncertainIn++
			}
		}
	}
	// An award in the ledger that no acked file names can only be doubled
	// if it is there twice; count it too.
	for tok, n := range ledger {
		if _, ok := all[tok]; !ok && n > 1 {
			c.Doubled = append(c.Doubled, tok)
		}
	}
	return c
}

// Report writes the check's summary.
func (c *Check) Report(w io.Writer) {
	fmt.Fprintf(w, "check: %d acknowledged awards, %d found exactly once, %d lost, %d doubled, %d refused but in the ledger\n",
		c.Acked, c.Found, len(c.Lost), len(c.Doubled), len(c.RefusedIn))
	fmt.Fprintf(w, "check: %d acknowledged awards answered more than once (re-delivered), %d uncertain (placeholder or no answer) of which %d in the ledger\n",
		c.Redelivered, c.Uncertain, c.UncertainIn)
	for _, p := range []string{"slack", "feishu"} {
		if x := c.ByPlatform[p]; x != nil {
			fmt.Fprintf(w, "check: %s: %d acknowledged, %d found, %d lost, %d doubled\n", p, x.Acked, x.Found, x.Lost, x.Doubled)
		}
	}
	show := func(what string, toks []string) {
		if len(toks) > 0 {
			fmt.Fprintf(w, "check: %s: %s\n", what, strings.Join(toks[:min(len(toks), 20)], " "))
		}
	}
	show("lost", c.Lost)
	show("doubled", c.Doubled)
	show("refused but in the ledger", c.RefusedIn)
}

// readFile opens and parses one file with read.
func readFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
