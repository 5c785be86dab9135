package mapping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// datePatternTokens translates the date pattern letters mapping files use
// (the familiar dd.MM.yyyy style) into Go layout elements. Longest first.
var datePatternTokens = []struct{ pattern, layout string }{
	{"yyyy", "2006"}, {"yy", "06"},
	{"MM", "01"}, {"M", "1"},
	{"dd", "02"}, {"d", "2"},
	{"HH", "15"}, {"mm", "04"}, {"ss", "05"},
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

// excelEpoch is day 0 of Excel's 1900 date system (which counts a 29 February 1900 that never was).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseTime reads a date or date-time in loc, trying the given layouts, then
// ISO 8601, then an Excel serial day number (how workbooks store dates).
func parseTime(s string, layouts []string, loc *time.Location) (time.Time, error) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	for _, l := range isoLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 {
		days := math.Floor(f)
		secs := math.Round((f - days) * 86400)
		d := excelEpoch.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
		return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), 0, loc), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date in any accepted format", s)
}
