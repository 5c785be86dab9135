package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// datePatternTokens translates the date pattern letters mapping files use
// (the familiar dd.MM.yyyy style) into Go layout elements. Longest first.
var datePatternTokens = []struct{ pattern, layout string }{
	{"yyyy", "2006"}, {"yy", "06"},
	{"MM", "01"}, {"M", "1"},
	{"dd", "02"}, {"d", "2"},
	{"HH", "15"}, {"H", "15"}, {"mm", "04"}, {"ss", "05"},
}

// dateLayout turns a pattern such as "dd.MM.yyyy HH:mm" into a Go layout.
func dateLayout(pattern string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		matched := false
		for _, t := range datePatternTokens {
			if strings.HasPrefix(pattern[i:], t.pattern) {
				b.WriteString(t.layout)
				i += len(t.pattern)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := pattern[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("date pattern %q has an unknown letter %q", pattern, c)
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), nil
}

// isoLayouts are always accepted, after the mapping's own patterns.
var isoLayouts = []string{"2006-01-02", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", time.RFC3339}

// ExcelSerial is the date pattern of a column that holds Excel serial day
// numbers (days since 1900 in Excel's 1900 date system, a fraction for the
// time of day), as a text export of a workbook does. Only such a column
// reads a number as a date: "2020" in a dd.MM.yyyy column is not a date.
// A workbook's own date cells come from the xlsx source as ISO dates,
// converted in the workbook's date system (1900 or 1904).
const ExcelSerial = "excel"

// parseTime reads a date or date-time in loc, trying the given layouts, then
// ISO 8601, then an Excel serial day number (how workbooks store dates).
// note is not empty when the wall clock read is not one instant in loc: it
// falls in the hour skipped when summer time begins (read as the instant an
// hour later, where the clocks had been moved) or in the hour that happens
// twice when it ends.
func parseTime(s string, layouts []string, loc *time.Location) (t time.Time, note string, err error) {
	for _, ls := range [][]string{layouts, isoLayouts} {
		for _, l := range ls {
			if l == ExcelSerial {
				if wall, ok := excelSerial(s); ok {
					t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc)
					return t, localNote(wall, t, loc), nil
				}
				continue
			}
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				if strings.Contains(l, "Z07") || strings.Contains(l, "-07") {
					return t, "", nil // the text names its offset: one instant
				}
				wall, _ := time.Parse(l, s)
				return t, localNote(wall, t, loc), nil
			}
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && !slices.Contains(layouts, ExcelSerial) {
		return time.Time{}, "", fmt.Errorf("%q is a number, not a date in any accepted format; if the column holds Excel serial day numbers, add the pattern %s (date: [%s])", s, ExcelSerial, ExcelSerial)
	}
	return time.Time{}, "", fmt.Errorf("%q is not a date in any accepted format%s", s, dateHint(s))
}

// commonPatterns are date patterns legacy systems write, tried only to say
// what to do with a value no pattern of the mapping reads.
var commonPatterns = []string{"d.M.yyyy", "d.M.yyyy H:mm", "d.M.yyyy H.mm", "d.M.yyyy H:mm:ss", "d.M.yy", "d/M/yyyy", "yyyyMMdd"}

// dateHint says what to do with a value no pattern reads: add the common
// pattern that reads it, or, when one reads its shape but no such day
// exists (31.2.2003), correct the source.
func dateHint(s string) string {
	for _, p := range commonPatterns {
		l, err := dateLayout(p)
		if err != nil {
			continue
		}
		_, err = time.Parse(l, s)
		switch {
		case err == nil:
			return fmt.Sprintf("; it reads as %s: add that pattern to the field (date: [%q], beside the patterns it has)", p, p)
		case strings.Contains(err.Error(), "out of range"):
			return fmt.Sprintf("; it has the shape %s, but there is no such day: correct it in the source", p)
		}
	}
	return ""
}

// localNote compares the wall clock a source gave (wall, read as UTC) with
// the instant t read in loc.
func localNote(wall, t time.Time, loc *time.Location) string {
	const layout = "2.1.2006 15.04.05"
	local := t.In(loc)
	sameClock := func(u time.Time) bool {
		return u.Year() == wall.Year() && u.YearDay() == wall.YearDay() && u.Hour() == wall.Hour() && u.Minute() == wall.Minute() && u.Second() == wall.Second()
	}
	if !sameClock(local) {
		return fmt.Sprintf("the local time %s does not exist in %s (the clocks were moved forward past it); read as %s",
			wall.Format(layout), loc, local.Format(layout+" -07:00"))
	}
	// Another instant with the same wall clock: one offset earlier or later.
	_, before := t.Add(-12 * time.Hour).In(loc).Zone()
	_, after := t.Add(12 * time.Hour).In(loc).Zone()
	for _, off := range []int{before, after} {
		alt := wall.Add(-time.Duration(off) * time.Second)
		if !alt.Equal(t) && sameClock(alt.In(loc)) {
			return fmt.Sprintf("the local time %s happens twice in %s (the clocks were moved back); read as %s, not %s",
				wall.Format(layout), loc, local.Format(layout+" -07:00"), alt.In(loc).Format(layout+" -07:00"))
		}
	}
	return ""
}

// excelSerial reads an Excel serial day number of the 1900 date system,
// through the workbook library's conversion, as a wall clock (in UTC).
func excelSerial(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f >= 2958466 { // 1900-01-01 to 9999-12-31
		return time.Time{}, false
	}
	d, err := excelize.ExcelDateToTime(f, false)
	if err != nil {
		return time.Time{}, false
	}
	return d.Round(time.Second), true
}
