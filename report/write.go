package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// Formats are the formats a summary is written in, as `jifen report
// --format` and the console's downloads name them.
var Formats = []string{"md", "html", "xlsx", "json"}

// Write writes s in format (one of Formats): Markdown, the self-contained
// HTML page, the XLSX workbook or the Summary as indented JSON. lang is
// the page's language for HTML.
func Write(w io.Writer, s *Summary, format string, t func(string, ...any) string, lang string) error {
	switch format {
	case "md":
		return Markdown(w, s, t)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	case "html":
		return HTML(w, s, t, lang)
	case "xlsx":
		return XLSX(w, s, t)
	}
	return fmt.Errorf("report format %q: md, html, xlsx or json", format)
}
