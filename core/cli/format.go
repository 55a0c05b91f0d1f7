package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
	"unicode/utf8"

	units "github.com/docker/go-units"
)

// templateFuncs are Docker's --format helpers.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSpace(buf.String()), nil
	},
	"split": strings.Split,
	"join":  strings.Join,
	"title": title,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"pad": func(s string, before, after int) string {
		return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
	},
	"truncate": func(s string, n int) string { return truncateRunes(s, n) },
}

// parseTemplate parses a --format template with Docker's helpers.
func parseTemplate(format string) (*template.Template, error) {
	t, err := template.New("").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return t, nil
}

func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = strings.ToUpper(string(r)) + w[n:]
	}
	return strings.Join(words, " ")
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// ellipsis shortens s to at most n runes, ending in "…" when cut, as
// Docker's table output does.
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

// listFormat renders rows for the list commands (images, ps, history):
// a table with headers, a custom template one row per line, or JSON lines.
type listFormat struct {
	table   bool
	tmpl    *template.Template
	headers map[string]string
}

// newListFormat understands Docker's --format values: "" or "table" for
// the default table, "table TEMPLATE", "json", or a bare TEMPLATE.
func newListFormat(format, defaultTable string, headers map[string]string) (*listFormat, error) {
	switch {
	case format == "" || format == "table":
		format = defaultTable
	case format == "json":
		format = "{{json .}}"
	}
	lf := &listFormat{headers: headers}
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		lf.table = true
		format = rest
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(format, " "))
	t, err := parseTemplate(format)
	if err != nil {
		return nil, err
	}
	lf.tmpl = t
	return lf, nil
}

// write prints the rows; tables are aligned as Docker aligns them.
func (lf *listFormat) write(w io.Writer, rows []any) error {
	out := w
	var tw *tabwriter.Writer
	if lf.table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		if err := lf.line(out, lf.headers); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := lf.line(out, r); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func (lf *listFormat) line(w io.Writer, data any) error {
	var buf bytes.Buffer
	if err := lf.tmpl.Option("missingkey=zero").Execute(&buf, data); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// since is Docker's "2 minutes ago"; the zero time is "N/A".
func since(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(time.Now().UTC().Sub(t)) + " ago"
}

// createdAt is Docker's CreatedAt column: local time to the second.
func createdAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return time.Unix(t.Unix(), 0).String()
}

// humanSize is Docker's SIZE column, three significant digits.
func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

// shortID is the 12-hex-digit id without "sha256:"; full keeps all.
func shortID(id string, full bool) string {
	if full {
		return id
	}
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// executeTemplate runs t on v, falling back to v's JSON form (a map) so
// that Docker's JSON field names ({{.Id}}) work as well as Go's ({{.ID}}).
func executeTemplate(w io.Writer, t *template.Template, v any) error {
	var buf bytes.Buffer
	err := t.Execute(&buf, v)
	if err != nil {
		raw, jerr := json.Marshal(v)
		if jerr != nil {
			return fmt.Errorf("template: %w", err)
		}
		var m any
		if jerr := json.Unmarshal(raw, &m); jerr != nil {
			return fmt.Errorf("template: %w", err)
		}
		buf.Reset()
		if err2 := t.Execute(&buf, m); err2 != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}
