// Package profile learns what a legacy source holds, column by column, in one
// streaming pass: fill rate, distinct values, the most frequent values, the
// numbers and dates and their formats, lengths, characters XML forbids,
// encoding problems, identity codes checked but never shown, and, for a
// column the mapping reads through a value map, the values the map does not
// cover yet. It is what a migration engineer reads before writing a mapping
// and hands to the vendor who knows the old system.
//
// Memory does not grow with the number of records: each column keeps at
// most TrackedValues values with their counts (the first distinct values
// seen; a column with more says so, and its listed values are among those)
// and at most DistinctLimit hashes for its distinct count (beyond which the
// count is a lower bound and says so).
//
// Sharing: a value seen fewer than MinCount times is never listed, identity
// codes are counted by their checks and masked wherever one appears in a
// listed value, and the values of a column that holds personal data (by the
// mapping's use of it, or by its name or its content when there is no
// mapping) are withheld altogether.
package profile

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kantamig/kantamig/body"
	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
)

// Limits of what one column keeps in memory.
const (
	TrackedValues = 2000   // values counted exactly, per column
	DistinctLimit = 100000 // hashes kept for the distinct count, per column
	maxValueBytes = 200    // longer values are counted, never kept
)

// Options say what a profile lists.
type Options struct {
	MinCount int // values seen fewer times are not listed (the minimum cell size); default 5
	Top      int // the most frequent values listed per column; default 10
	// Progress, if set, is called every 10,000 records of a source.
	Progress func(source string, records int)
}

// Profile is the profile of a mapping's sources or of files.
type Profile struct {
	Mapping   string    `json:"mapping,omitempty"`
	Generated time.Time `json:"generated"`
	MinCount  int       `json:"min_count"`
	Sources   []*Source `json:"sources"`
	// Hints say what the profile could not decide alone (other record
	// paths an XML file repeats), for the command to print.
	Hints []string `json:"hints,omitempty"`
}

// Source is one source's profile.
type Source struct {
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Where   string    `json:"where"`           // the file, or the database source's table or query
	Sheet   string    `json:"sheet,omitempty"` // a workbook's sheet
	Records int       `json:"records"`
	Columns []*Column `json:"columns"`

	delimiter, record string // how a file was read, for the skeleton
	encoding          string
	// For a database table (OfDatabase): how it is read, its primary key
	// and the tables its columns refer to ("asiakas.asiakasnro"), from the
	// server's catalogue.
	dsnEnv     string
	table      string
	query      string
	key        []string
	references map[string]string
}

// ValueCount is a value with the number of records it was seen in.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// IdentityCodes counts an identity-code column's values by their checks.
type IdentityCodes struct {
	Valid          int `json:"valid"`
	TestRange      int `json:"test_range"` // valid, individual number 900–999 (temporary codes, test persons)
	WrongFormat    int `json:"wrong_format"`
	WrongCentury   int `json:"wrong_century_sign"`
	ImpossibleDate int `json:"impossible_date"`
	LowIndividual  int `json:"individual_below_002"`
	WrongCheck     int `json:"wrong_check_character"`
}

// Failing counts the identity codes that fail any check.
func (h *IdentityCodes) Failing() int {
	return h.WrongFormat + h.WrongCentury + h.ImpossibleDate + h.LowIndividual + h.WrongCheck
}

// Column is one column's (or XML field's) profile.
type Column struct {
	Name string `json:"name"`
	// Uses says how the mapping reads the column: "entity.field", with the
	// value map if any.
	Uses         []string `json:"uses,omitempty"`
	Filled       int      `json:"filled"`
	FillRate     float64  `json:"fill_rate"`
	Distinct     int      `json:"distinct"`
	DistinctMore bool     `json:"distinct_is_lower_bound,omitempty"`
	MinLength    int      `json:"min_length"`
	MaxLength    int      `json:"max_length"`
	MeanLength   float64  `json:"mean_length"`
	Numbers      int      `json:"numbers"`
	MinNumber    *float64 `json:"min_number,omitempty"`
	MaxNumber    *float64 `json:"max_number,omitempty"`
	Dates        int      `json:"dates"`
	// UnparseableDates counts values shaped like a date (digits in three
	// groups split by . / or -) that are no date of any known format:
	// "30.2.2010", "2010-13-01".
	UnparseableDates int            `json:"unparseable_dates"`
	DateFormats      map[string]int `json:"date_formats,omitempty"` // in the mapping's date: syntax
	MinDate          string         `json:"min_date,omitempty"`
	MaxDate          string         `json:"max_date,omitempty"`
	XMLForbidden     int            `json:"xml_forbidden_characters"` // values with a character XML 1.0 forbids
	InvalidUTF8      int            `json:"invalid_utf8"`             // values not valid in the declared encoding
	Mojibake         int            `json:"looks_double_encoded"`     // values like "Ã¤": UTF-8 read as Latin-1
	// BodyFormats counts values whose first bytes say they are a rich
	// text or a file (rtf, html, docx, pdf, tiff), as package body sniffs
	// them; FilePaths the values that look like a file's name (a document's
	// extension). Counts only: a document's text is never listed.
	BodyFormats map[string]int `json:"body_formats,omitempty"`
	FilePaths   int            `json:"file_paths,omitempty"`
	// IdentityCodes, for a column of identity codes, counts them by check.
	IdentityCodes *IdentityCodes `json:"identity_codes,omitempty"`
	nonASCII      int            // valid UTF-8 values beyond ASCII, for the skeleton's encoding guess
	// frequent lists every value seen at least MinCount times (not only the
	// Top), for the skeleton's value-map stubs; empty for personal columns.
	frequent []ValueCount
	// Top lists the most frequent values seen at least MinCount times, with
	// identity codes masked; empty when Withheld says why.
	Top []ValueCount `json:"top,omitempty"`
	// TopPartial says the column had more distinct values than are
	// tracked: Top is drawn from the first ones seen.
	TopPartial bool   `json:"top_partial,omitempty"`
	Withheld   string `json:"values_withheld,omitempty"`
	// Unmapped lists, for a column read through a value map, the values
	// the map does not cover, seen at least MinCount times; UnmappedRare
	// counts the other uncovered values (not listed: the dry-run report's
	// Unmapped values sheet names them with their records).
	ValueMaps    []string     `json:"value_maps,omitempty"`
	Unmapped     []ValueCount `json:"unmapped,omitempty"`
	UnmappedRare int          `json:"unmapped_rare_values,omitempty"`
	UnmappedAll  int          `json:"unmapped_records"`
}

// column is a column's running state.
type column struct {
	Column
	uses      []mapping.ColumnUse
	values    map[string]int // up to TrackedValues
	overflow  bool
	hashes    map[uint64]struct{}
	lenSum    int
	minDate   time.Time
	maxDate   time.Time
	hetu      IdentityCodes
	hetuShape int // values shaped like an identity code
	unmapped  map[string]int
	unmapMore bool
	personal  string
}

var seed = maphash.MakeSeed()

// withheld says why a personal column's values are not listed, by what it holds.
var withheld = map[string]string{
	"identity-code": "identity codes: counted by their checks, never listed",
	"temporary-id":  "temporary identifiers: never listed",
	"name":          "names: never listed",
	"contact":       "contact data: never listed",
	"text":          "free text: never listed",
	"reference":     "keys of other records (clients, cases): not listed",
}

// dateFormats are the date shapes recognised, in the mapping's date: syntax,
// with their Go layouts; the first that parses names the value's format.
var dateFormats = []struct{ name, layout string }{
	{"yyyy-MM-dd", "2006-01-02"},
	{"yyyy-MM-ddTHH:mm:ss", "2006-01-02T15:04:05"},
	{"yyyy-MM-dd HH:mm:ss", "2006-01-02 15:04:05"},
	{"yyyy-MM-dd HH:mm", "2006-01-02 15:04"},
	{"yyyy-MM-ddTHH:mm", "2006-01-02T15:04"},
	{"ISO 8601 with zone", time.RFC3339},
	{"dd.MM.yyyy", "02.01.2006"},
	{"d.M.yyyy", "2.1.2006"},
	{"dd.MM.yyyy HH:mm", "02.01.2006 15:04"},
	{"d.M.yyyy H:mm", "2.1.2006 15:04"},
	{"dd.MM.yyyy HH.mm", "02.01.2006 15.04"},
	{"dd/MM/yyyy", "02/01/2006"},
	{"yyyyMMdd", "20060102"},
}

var mojibake = []string{"Ã¤", "Ã¶", "Ã„", "Ã–", "Ã¥", "Ã…", "Ã©", "â‚¬", "Ã¼"}

// identityShape matches what is meant as an identity code, in either case:
// a lower-case one is counted as failing its checks, not missed.
var identityShape = regexp.MustCompile(`(?i)^[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Z]$`)

// dateShape matches a value meant as a date: three groups of digits
// split by the same . / or -, one of them of four digits.
var dateShape = regexp.MustCompile(`^([0-9]{1,2}([./-])[0-9]{1,2}([./-])[0-9]{4}|[0-9]{4}([./-])[0-9]{1,2}([./-])[0-9]{1,2})([ T][0-9:.]+)?$`)

// filePath matches a value naming a document's file: a path of one line
// ending in a document's or a scan's extension.
var filePath = regexp.MustCompile(`(?i)^[^\n\r<>{}]+\.(pdf|tiff?|docx?|rtf|html?|txt|odt|png|jpe?g)$`)

// personalName guesses from a column's name, when no mapping says, whether
// it holds personal data (Finnish and English names of such columns).
var personalName = regexp.MustCompile(`(?i)hetu|henkilo_?tunnus|henkilö_?tunnus|ssn|sotu|suku_?nimi|etu_?nim|kutsumanimi|first_?name|last_?name|surname|given|^nimi$|^name$|osoite|address|katu|street|puh|phone|gsm|sposti|e-?mail|syntym|birth|postino|postinumero|zip`)

func (c *column) add(v string) {
	if strings.TrimSpace(v) == "" {
		return
	}
	c.Filled++
	n := utf8.RuneCountInString(v)
	if c.Filled == 1 || n < c.MinLength {
		c.MinLength = n
	}
	c.MaxLength = max(c.MaxLength, n)
	c.lenSum += n
	if !utf8.ValidString(v) {
		c.InvalidUTF8++
	} else if n < len(v) {
		c.nonASCII++
	}
	if forbidsXML(v) {
		c.XMLForbidden++
	}
	if n >= 5 {
		if f := body.Sniff([]byte(v[:min(len(v), 512)])); f != body.Text {
			if c.BodyFormats == nil {
				c.BodyFormats = map[string]int{}
			}
			c.BodyFormats[string(f)]++
		}
	}
	if len(v) <= 260 && filePath.MatchString(v) {
		c.FilePaths++
	}
	if strings.Contains(v, "Ã") || strings.Contains(v, "â‚") {
		for _, m := range mojibake {
			if strings.Contains(v, m) {
				c.Mojibake++
				break
			}
		}
	}
	// Distinct count.
	if len(c.hashes) < DistinctLimit {
		c.hashes[maphash.String(seed, v)] = struct{}{}
	} else if _, ok := c.hashes[maphash.String(seed, v)]; !ok {
		c.DistinctMore = true
	}
	// Value counts.
	if _, ok := c.values[v]; ok {
		c.values[v]++
	} else if len(c.values) < TrackedValues && len(v) <= maxValueBytes {
		c.values[v] = 1
	} else {
		c.overflow = true
	}
	t := strings.TrimSpace(v)
	c.number(t)
	c.date(t)
	shaped := len(t) == 11 && identityShape.MatchString(t)
	if shaped {
		c.hetuShape++
	}
	if shaped || c.personal == "identity-code" {
		c.identity(t)
	}
	for _, u := range c.uses {
		if u.ValueMap == "" {
			continue
		}
		for _, part := range u.Values(v) {
			if !u.Maps(part) {
				c.UnmappedAll++
				if _, ok := c.unmapped[part]; ok || len(c.unmapped) < TrackedValues {
					c.unmapped[part]++
				} else {
					c.unmapMore = true
				}
			}
		}
	}
}

func (c *column) number(t string) {
	if t == "" || len(t) > 30 || !(t[0] == '-' || t[0] == '+' || (t[0] >= '0' && t[0] <= '9')) {
		return
	}
	s := t
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1) // the Finnish decimal comma
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return
	}
	c.Numbers++
	if c.MinNumber == nil || f < *c.MinNumber {
		c.MinNumber = &f
	}
	if c.MaxNumber == nil || f > *c.MaxNumber {
		c.MaxNumber = &f
	}
}

func (c *column) date(t string) {
	if len(t) < 8 || len(t) > 25 || t[0] < '0' || t[0] > '9' {
		return
	}
	if !c.countDate(t) && dateShape.MatchString(t) {
		c.UnparseableDates++
	}
}

// countDate counts a value that is a date of a known format (or a number
// of eight digits that is no date), and says whether it was.
func (c *column) countDate(t string) bool {
	for _, f := range dateFormats {
		d, err := time.Parse(f.layout, t)
		if err != nil {
			continue
		}
		if f.name == "yyyyMMdd" && (d.Year() < 1800 || d.Year() > 2100) {
			return true // a number, not a date
		}
		c.Dates++
		if c.DateFormats == nil {
			c.DateFormats = map[string]int{}
		}
		c.DateFormats[f.name]++
		if c.minDate.IsZero() || d.Before(c.minDate) {
			c.minDate = d
		}
		if d.After(c.maxDate) {
			c.maxDate = d
		}
		return true
	}
	return false
}

func (c *column) identity(t string) {
	split := ""
	for _, u := range c.uses {
		if u.Personal == "identity-code" && u.Split != "" {
			split = u.Split
		}
	}
	parts := []string{t}
	if split != "" {
		parts = strings.Split(t, split)
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		code, err := kanta.ParseIdentityCode(p)
		var ice *kanta.IdentityCodeError
		switch {
		case err == nil:
			c.hetu.Valid++
			if code.TestRange() {
				c.hetu.TestRange++
			}
		case errors.As(err, &ice):
			switch ice.Rule {
			case kanta.RuleHetuCentury:
				c.hetu.WrongCentury++
			case kanta.RuleHetuDate:
				c.hetu.ImpossibleDate++
			case kanta.RuleHetuIndividual:
				c.hetu.LowIndividual++
			case kanta.RuleHetuCheck:
				c.hetu.WrongCheck++
			default:
				c.hetu.WrongFormat++
			}
		default:
			c.hetu.WrongFormat++
		}
	}
}

// forbidsXML reports whether s has a character XML 1.0 does not allow: a
// control character other than tab, line feed and carriage return, or
// U+FFFE, U+FFFF.
func forbidsXML(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return true
		}
	}
	return false
}

// ProfileSource profiles one source, reading it to the end. uses are the mapping's
// uses of its columns (none when profiling files alone).
func ProfileSource(ctx context.Context, spec extract.Spec, uses []mapping.ColumnUse, opts Options) (*Source, error) {
	opts = opts.withDefaults()
	src, err := extract.Open(spec)
	if err != nil {
		return nil, fmt.Errorf("opening source %s: %w", spec.Name, err)
	}
	defer src.Close()
	out := &Source{Name: spec.Name, Kind: spec.Kind, Where: where(spec), Sheet: spec.Sheet, delimiter: spec.Delimiter, record: spec.Record, encoding: spec.Encoding}
	cols := map[string]*column{}
	var order []*column
	get := func(name string) *column {
		c, ok := cols[name]
		if !ok {
			c = &column{Column: Column{Name: name}, values: map[string]int{}, hashes: map[uint64]struct{}{}, unmapped: map[string]int{}}
			for _, u := range uses {
				if u.Column == name {
					c.uses = append(c.uses, u)
					if u.Personal != "" && c.personal == "" || u.Personal == "identity-code" {
						c.personal = u.Personal
					}
				}
			}
			cols[name] = c
			order = append(order, c)
		}
		return c
	}
	for _, name := range src.Columns() {
		get(name)
	}
	for {
		rec, err := src.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading source %s after %d records: %w", spec.Name, out.Records, err)
		}
		out.Records++
		for name, v := range rec.Fields {
			get(name).add(v)
		}
		if opts.Progress != nil && out.Records%10000 == 0 {
			opts.Progress(spec.Name, out.Records)
		}
	}
	for _, u := range uses { // a column the mapping reads that the source never had
		get(u.Column)
	}
	for _, c := range order {
		out.Columns = append(out.Columns, c.finish(out.Records, opts))
	}
	return out, nil
}

func (o Options) withDefaults() Options {
	if o.MinCount <= 0 {
		o.MinCount = 5
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	return o
}

func where(spec extract.Spec) string {
	switch {
	case spec.File != "":
		return spec.File
	case spec.Table != "":
		return "table " + spec.Table
	case spec.Query != "":
		return "query"
	}
	return ""
}

// finish turns a column's running state into its profile.
func (c *column) finish(records int, opts Options) *Column {
	out := c.Column
	if records > 0 {
		out.FillRate = float64(c.Filled) / float64(records)
	}
	if c.Filled > 0 {
		out.MeanLength = float64(c.lenSum) / float64(c.Filled)
	}
	out.Distinct = len(c.hashes)
	if !c.minDate.IsZero() {
		out.MinDate, out.MaxDate = c.minDate.Format("2006-01-02"), c.maxDate.Format("2006-01-02")
	}
	for _, u := range c.uses {
		use := u.Entity + "." + u.Target
		if u.ValueMap != "" {
			use += " (value map " + u.ValueMap + ")"
			if !slices.Contains(out.ValueMaps, u.ValueMap) {
				out.ValueMaps = append(out.ValueMaps, u.ValueMap)
			}
		}
		if !slices.Contains(out.Uses, use) {
			out.Uses = append(out.Uses, use)
		}
	}
	personal := c.personal
	if personal == "" && len(c.uses) == 0 {
		switch {
		case c.Filled > 0 && c.hetuShape*2 >= c.Filled:
			personal = "identity-code"
		case personalName.MatchString(c.Name):
			personal = "personal data by its name"
		case out.MeanLength > 100:
			personal = "text"
		}
	}
	if personal == "identity-code" || c.hetuShape > 0 {
		h := c.hetu
		out.IdentityCodes = &h
	}
	switch why, known := withheld[personal]; {
	case personal == "":
		out.Top, out.TopPartial = top(c.values, opts), c.overflow
		out.frequent = top(c.values, Options{MinCount: opts.MinCount, Top: TrackedValues})
	case known:
		out.Withheld = why
	default:
		out.Withheld = personal + ": never listed"
	}
	if len(out.ValueMaps) > 0 && personal == "" {
		all := top(c.unmapped, Options{MinCount: opts.MinCount, Top: TrackedValues})
		out.Unmapped = all
		for _, n := range c.unmapped {
			if n < opts.MinCount {
				out.UnmappedRare++
			}
		}
	}
	return &out
}

// top lists the values seen at least MinCount times, most frequent first
// (then by value), at most Top, identity codes masked.
func top(values map[string]int, opts Options) []ValueCount {
	var out []ValueCount
	for v, n := range values {
		if n >= opts.MinCount {
			out = append(out, ValueCount{Value: kanta.MaskIdentityCodesIn(v), Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	if len(out) > opts.Top {
		out = out[:opts.Top]
	}
	return out
}
