package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/profile"
)

// WriteProfileJSON writes a source profile as indented JSON, readable by the
// owner only (it describes a client register, if not its people).
func WriteProfileJSON(p *profile.Profile, path string) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(path, append(data, '\n'))
}

// WriteProfileExcel writes a source profile as a workbook: a summary of the
// sources, then a sheet per source with a row per column, formatted as the
// run reports are (see WriteExcel).
func WriteProfileExcel(p *profile.Profile, path string) error {
	sheets := []sheet{{"Sources", func(w *rowWriter) { profileSummary(w, p) }, []float64{22, 8, 10, 10, 15, 15, 13, 70}}}
	used := map[string]bool{"Sources": true}
	for _, s := range p.Sources {
		s := s
		name := sheetName(s.Name, used)
		sheets = append(sheets, sheet{name, func(w *rowWriter) { profileColumns(w, p, s) },
			[]float64{20, 36, 8, 9, 9, 12, 20, 27, 22, 11, 44, 50, 100}})
	}
	return writeWorkbook(path, English, sheets)
}

// sheetName makes a unique sheet name of at most 31 characters without the
// characters Excel refuses.
func sheetName(s string, used map[string]bool) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, s)
	if len([]rune(s)) > 28 {
		s = string([]rune(s)[:28])
	}
	name := s
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s %d", s, i)
	}
	used[name] = true
	return name
}

func profileSummary(w *rowWriter, p *profile.Profile) {
	of := "files"
	if p.Mapping != "" {
		of = "the sources of " + p.Mapping
	}
	w.title(fmt.Sprintf("Profile of %s (no value seen fewer than %d times is listed; no identity code, name, contact data or free text)", of, p.MinCount))
	w.head(true, "Source", "Kind", "Records", "Columns", "XML-forbidden", "Bad encoding", "Unmapped", "Where (columns counted)")
	for _, s := range p.Sources {
		var forbidden, encoding, unmapped int
		for _, c := range s.Columns {
			if c.XMLForbidden > 0 {
				forbidden++
			}
			if c.InvalidUTF8 > 0 || c.Mojibake > 0 {
				encoding++
			}
			if c.UnmappedAll > 0 {
				unmapped++
			}
		}
		where := s.Where
		if s.Sheet != "" {
			where += ", sheet " + s.Sheet
		}
		w.put(s.Name, s.Kind, s.Records, len(s.Columns), forbidden, encoding, unmapped, where)
	}
}

func profileColumns(w *rowWriter, p *profile.Profile, s *profile.Source) {
	w.title(fmt.Sprintf("Source %s (%s, %d records), a row per column. Length: characters, min / mean / max. Bad values: with a character XML forbids / not valid UTF-8 / double-encoded (Ã¤). Values seen fewer than %d times are not listed.",
		s.Name, s.Kind, s.Records, p.MinCount))
	w.head(true, "Column", "Read by the mapping as", "Filled", "Fill rate", "Distinct", "Length",
		"Numbers", "Dates", "Date formats", "Bad values", "Identity codes", "Values no value map covers", "Most frequent values")
	for _, c := range s.Columns {
		distinct := fmt.Sprint(c.Distinct)
		if c.DistinctMore {
			distinct = "> " + distinct
		}
		length := ""
		if c.Filled > 0 {
			length = fmt.Sprintf("%d / %.0f / %d", c.MinLength, c.MeanLength, c.MaxLength)
		}
		numbers := ""
		if c.Numbers > 0 {
			numbers = fmt.Sprintf("%d (%s – %s)", c.Numbers, num(*c.MinNumber), num(*c.MaxNumber))
		}
		dates := ""
		if c.Dates > 0 {
			dates = fmt.Sprintf("%d (%s – %s)", c.Dates, c.MinDate, c.MaxDate)
		}
		w.put(c.Name, strings.Join(c.Uses, "; "), c.Filled, share(c.Filled, s.Records), distinct, length, numbers, dates,
			counts(c.DateFormats), fmt.Sprintf("%d / %d / %d", c.XMLForbidden, c.InvalidUTF8, c.Mojibake),
			identityCodes(c.IdentityCodes), unmapped(c), topValues(c))
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || (m[keys[i]] == m[keys[j]] && keys[i] < keys[j]) })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}

func identityCodes(h *profile.IdentityCodes) string {
	if h == nil {
		return ""
	}
	parts := []string{fmt.Sprintf("valid %d (900–999: %d)", h.Valid, h.TestRange)}
	for _, p := range []struct {
		n    int
		what string
	}{{h.WrongCheck, "wrong check character"}, {h.ImpossibleDate, "impossible date"}, {h.WrongCentury, "wrong century sign"},
		{h.LowIndividual, "individual number below 002"}, {h.WrongFormat, "not shaped like one"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.what, p.n))
		}
	}
	return strings.Join(parts, "; ")
}

func unmapped(c *profile.Column) string {
	if len(c.ValueMaps) == 0 {
		return ""
	}
	if c.UnmappedAll == 0 {
		return "all covered"
	}
	var parts []string
	for _, v := range c.Unmapped {
		parts = append(parts, fmt.Sprintf("%s (%d)", v.Value, v.Count))
	}
	if c.UnmappedRare > 0 {
		parts = append(parts, fmt.Sprintf("%d rare value(s), not listed: see the dry-run's Unmapped values", c.UnmappedRare))
	}
	return fmt.Sprintf("%d record value(s): ", c.UnmappedAll) + strings.Join(parts, ", ")
}

func topValues(c *profile.Column) string {
	if c.Withheld != "" {
		return "(" + c.Withheld + ")"
	}
	var parts []string
	for _, v := range c.Top {
		parts = append(parts, fmt.Sprintf("%s (%d)", v.Value, v.Count))
	}
	s := strings.Join(parts, ", ")
	if c.TopPartial {
		s += fmt.Sprintf(" — among the first %d distinct values", profile.TrackedValues)
	}
	return s
}
