package kanta

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// CodeSet is one national classification: its OID, the version OID used in
// documents, and its values.
type CodeSet struct {
	Name    string // short name used in mapping files, e.g. "service-task"
	OID     string // e.g. 1.2.246.537.6.1221
	Version string // versioned OID seen in documents, e.g. 1.2.246.537.6.1221.201601
	Title   string // the national name, for codeSystemName
	values  map[string]string
	order   []string
	Sources []string // where the values came from: "built-in" and loaded files
}

// NewCodeSet makes an empty code set.
func NewCodeSet(name, oid, version, title string) *CodeSet {
	return &CodeSet{Name: name, OID: oid, Version: version, Title: title, values: map[string]string{}}
}

// Add puts a value in the set; a later Add of the same code replaces its display name.
func (c *CodeSet) Add(code, display string) {
	if _, ok := c.values[code]; !ok {
		c.order = append(c.order, code)
	}
	c.values[code] = display
}

// Display gives the display name of a code and whether the code is in the set.
func (c *CodeSet) Display(code string) (string, bool) {
	d, ok := c.values[code]
	return d, ok
}

// Codes lists the codes in the order they were added.
func (c *CodeSet) Codes() []string { return append([]string(nil), c.order...) }

// Len is the number of values.
func (c *CodeSet) Len() int { return len(c.order) }

// UnknownCodeError is returned when a value is not in its code set. It names
// the code set and the closest codes, so the fix is obvious.
type UnknownCodeError struct {
	Set         *CodeSet
	Code        string
	Suggestions []string
}

func (e *UnknownCodeError) Error() string {
	msg := fmt.Sprintf("code %q is not in code set %s (%s)", e.Code, e.Set.Name, e.Set.OID)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg
}

// Check returns nil if code is in the set, or an *UnknownCodeError with the
// closest matches by code and by display name.
func (c *CodeSet) Check(code string) error {
	if _, ok := c.values[code]; ok {
		return nil
	}
	return &UnknownCodeError{Set: c, Code: code, Suggestions: c.suggest(code)}
}

func (c *CodeSet) suggest(code string) []string {
	type scored struct {
		label string
		dist  int
	}
	var best []scored
	lc := strings.ToLower(code)
	for _, k := range c.order {
		d := Distance(lc, strings.ToLower(k))
		if dn := Distance(lc, strings.ToLower(c.values[k])); dn < d {
			d = dn
		}
		if strings.Contains(strings.ToLower(c.values[k]), lc) && len(lc) >= 3 {
			d = 0
		}
		limit := len(lc)/2 + 1
		if d <= limit {
			best = append(best, scored{fmt.Sprintf("%q (%s)", k, c.values[k]), d})
		}
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].dist < best[j].dist })
	var out []string
	for i := 0; i < len(best) && i < 3; i++ {
		out = append(out, best[i].label)
	}
	return out
}

// Distance is the edit distance between two strings, for suggesting the
// name or code somebody probably meant.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// codeColumns and nameColumns are the header names accepted for the code and
// its display name: the national code server's CSV export (CodeId, LongName)
// and plain English and Finnish alternatives.
var (
	codeColumns = []string{"codeid", "code", "koodi", "koodiarvo"}
	nameColumns = []string{"longname", "display", "nimi", "selite", "abbreviation", "shortname"}
)

// LoadFile adds the values of a code-set file to c. The format is the CSV
// export of the national code server (koodistopalvelu.kanta.fi): a header row,
// separated by ';' or ',', with a code column (CodeId) and a name column
// (LongName); other columns are ignored. UTF-8, with or without a byte-order mark.
func (c *CodeSet) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening code set file for %s: %w", c.Name, err)
	}
	defer f.Close()
	n, err := c.load(f)
	if err != nil {
		return fmt.Errorf("reading code set file %s for %s: %w", path, c.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("code set file %s for %s has no values", path, c.Name)
	}
	c.Sources = append(c.Sources, path)
	return nil
}

func (c *CodeSet) load(r io.Reader) (int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	firstLine, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = ','
	if strings.Count(firstLine, ";") > strings.Count(firstLine, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("reading header: %w", err)
	}
	codeCol, nameCol := findColumn(header, codeColumns), findColumn(header, nameColumns)
	if codeCol < 0 || nameCol < 0 {
		return 0, errors.New("header must name a code column (CodeId) and a name column (LongName)")
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if codeCol >= len(rec) || strings.TrimSpace(rec[codeCol]) == "" {
			continue
		}
		display := ""
		if nameCol < len(rec) {
			display = strings.TrimSpace(rec[nameCol])
		}
		c.Add(strings.TrimSpace(rec[codeCol]), display)
		n++
	}
}

func findColumn(header []string, names []string) int {
	for _, want := range names {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), want) {
				return i
			}
		}
	}
	return -1
}
