package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/kantamig/kantamig/kanta"
)

// WriteJSON writes the report as indented JSON, readable by the owner only.
func (r *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating report folder: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := r.writeJSON(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing report: %w", err)
	}
	return os.Rename(tmp, path)
}

func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating report folder: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return os.Rename(tmp, path)
}

// WriteExcel writes the report as a workbook with one sheet per view:
// Summary, By type, By service task, Rejects, Skipped, Refused, Warnings, Unmapped
// values and Settings. Long lists are streamed into their sheets. Every
// sheet has its title in row 1 and a bold header in row 2 that stays in
// view (a frozen pane) and repeats on every printed page; the lists are
// Excel tables (so filterable), counts are numbers with thousands
// separators, long text wraps, and pages print landscape, fitted to width.
func (r *Report) WriteExcel(path string) error {
	return writeWorkbook(path, r.Settings.Language, []sheet{
		{"Summary", r.summaryRows, []float64{44, 19, 12, 12, 12, 12, 12, 60}},
		{"By type", func(w *rowWriter) { countRows(w, "General document type", r.loadWord(), r.DocumentsByType) }, []float64{8, 40, 12, 12, 12, 12}},
		{"By service task", func(w *rowWriter) { countRows(w, "Service task", r.loadWord(), r.DocumentsByTask) }, []float64{8, 40, 12, 12, 12, 12}},
		{"Rejects", func(w *rowWriter) { findingRows(w, "rejected", r.Rejects) }, findingWidths},
		{"Skipped", func(w *rowWriter) { findingRows(w, "skipped", r.Skips) }, findingWidths},
		{"Refused", func(w *rowWriter) { findingRows(w, "refused by the archive, or waiting for one that was", r.Refused) }, findingWidths},
		{"Warnings", func(w *rowWriter) { findingRows(w, "with a warning", r.Warnings) }, findingWidths},
		{"Unmapped values", r.unmappedRows, []float64{24, 20, 20, 12, 40}},
		{"Settings", r.settingsRows, []float64{28, 100}},
	})
}

// findingWidths are the columns of a list of findings: the locator wide
// enough for an XML export's path and line number.
var findingWidths = []float64{60, 12, 14, 16, 16, 20, 90}

// sheet is one sheet of a workbook: its name, what writes its rows, and
// its column widths.
type sheet struct {
	name  string
	write func(*rowWriter)
	width []float64
}

// writeWorkbook writes the sheets in order, each with the formatting every
// kantamig workbook has (see WriteExcel).
func writeWorkbook(path, lang string, sheets []sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	for i, s := range sheets {
		s.name = translate(lang, s.name)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return err
		}
		// Set on the empty sheet: the stream writer keeps it.
		if err := printSetup(f, s.name, s.width); err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, err)
		}
		sw, err := f.NewStreamWriter(s.name)
		if err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, err)
		}
		for col, w := range s.width {
			if err := sw.SetColWidth(col+1, col+1, w); err != nil {
				return err
			}
		}
		// Rows 1 and 2 (the title and the header) stay in view.
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		w := &rowWriter{sw: sw, st: st, sheet: s.name, lang: lang, wrapCol: len(s.width), wrapWidth: s.width[len(s.width)-1], widths: s.width}
		s.write(w)
		if w.err == nil && w.table && w.row > w.header {
			last, _ := excelize.CoordinatesToCellName(w.cols, w.row)
			w.err = sw.AddTable(&excelize.Table{Range: "A" + fmt.Sprint(w.header) + ":" + last, Name: tableName(s.name),
				StyleName: "TableStyleLight1", ShowRowStripes: boolPtr(true)})
		}
		if w.err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, w.err)
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating report folder: %w", err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return fmt.Errorf("saving workbook: %w", err)
	}
	return writePrivate(path, buf.Bytes())
}

// printSetup prints a sheet landscape, fitted to the page's width, with its
// header row repeated on every page. A sheet wider than a page reads at
// (pageChars characters of column width a page) goes over as many pages
// side by side: fitted to one, a profile's 13 columns printed at about 4 pt.
func printSetup(f *excelize.File, sheet string, widths []float64) error {
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$2:$2", Scope: sheet}); err != nil {
		return err
	}
	total := 0.0
	for _, w := range widths {
		total += w
	}
	landscape, wide, tall := "landscape", max(1, int(math.Ceil(total/pageChars))), 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	fit := true
	return f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit})
}

// tableName makes an Excel table's name of a sheet's: letters, digits and
// underscores (a Finnish sheet name's letters are kept, which Excel takes).
// pageChars is how many characters of column width a landscape A4 page
// holds at a readable size (about 7 pt at the narrowest).
const pageChars = 240

func tableName(sheet string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '_'
	}, sheet)
}

func boolPtr(b bool) *bool { return &b }

// dateTimeFormat shows an Excel date with its time, as ISO 8601 reads.
var dateTimeFormat = "yyyy-mm-dd hh:mm:ss"

// zone is the time zone the workbook shows times in: the mapping's, else this machine's.
func (s Settings) zone() string {
	if s.TimeZone != "" {
		return s.TimeZone
	}
	return time.Local.String()
}

// local is t in the workbook's zone, as an Excel date; an unknown time is blank.
func (s Settings) local(t time.Time) any {
	if t.IsZero() {
		return ""
	}
	loc, err := time.LoadLocation(s.zone())
	if err != nil {
		loc = time.Local
	}
	return t.In(loc)
}

// styles are the workbook's cell styles.
type styles struct {
	title, header, number, percent, text, wrap, bold, boldNumber, dateTime int
}

func newStyles(f *excelize.File) (*styles, error) {
	var st styles
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	top := &excelize.Alignment{Vertical: "top"}
	for _, d := range []struct {
		id *int
		s  *excelize.Style
	}{
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}}},
		{&st.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		// Every cell at the top of its row: a row made taller by a long
		// text kept its numbers at the bottom, apart from their labels.
		{&st.number, &excelize.Style{NumFmt: 3, Alignment: top}},
		{&st.percent, &excelize.Style{NumFmt: 10, Alignment: top}},
		{&st.text, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&st.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.bold, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top}},
		{&st.boldNumber, &excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 3, Alignment: top}},
		{&st.dateTime, &excelize.Style{CustomNumFmt: &dateTimeFormat, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top"}}},
	} {
		id, err := f.NewStyle(d.s)
		if err != nil {
			return nil, err
		}
		*d.id = id
	}
	return &st, nil
}

// rowWriter writes a sheet's rows, styling each cell by what it holds.
type rowWriter struct {
	sw      *excelize.StreamWriter
	st      *styles
	sheet   string
	row     int
	err     error
	wrapCol int // the column whose text wraps (the last, the widest)
	// wrapWidth is that column's width in characters: a row whose text
	// there is longer is made as tall as its lines (a viewer does not
	// measure rows written in a stream, and wrapped text overprinted the
	// rows below it).
	wrapWidth float64
	// widths are every column's width in characters: a header longer than
	// its column wraps, and its row is made as tall as its lines.
	widths []float64
	header int  // the row of the list's header, when the sheet is one list
	cols   int  // the list's columns
	table  bool // make the list an Excel table (filterable)
	lang   string
}

// t is a label in the workbook's language (lang.go); f a sentence made from
// a template in it.
func (w *rowWriter) t(label string) string { return translate(w.lang, label) }
func (w *rowWriter) f(template string, args ...any) string {
	return fmt.Sprintf(translate(w.lang, template), args...)
}

// title writes row 1.
func (w *rowWriter) title(text string) {
	w.cells([]any{excelize.Cell{StyleID: w.st.title, Value: w.t(text)}})
}

// head writes a header row; with list, it is the header of the sheet's one
// list, which becomes a table.
func (w *rowWriter) head(list bool, names ...string) {
	cells := make([]any, len(names))
	lines := 1
	for i, n := range names {
		cells[i] = excelize.Cell{StyleID: w.st.header, Value: w.t(n)}
		if i < len(w.widths) {
			lines = max(lines, wrappedLines(w.t(n), w.widths[i]))
		}
	}
	if lines > 1 {
		w.cells(cells, excelize.RowOpts{Height: float64(lines) * lineHeight})
	} else {
		w.cells(cells)
	}
	if list {
		w.header, w.cols, w.table = w.row, len(names), true
	}
}

// put writes a data row: whole numbers with thousands separators, text at
// the top of its cell, the wrap column's text wrapped.
func (w *rowWriter) put(values ...any) { w.styled(false, values...) }

// total writes a row in bold.
func (w *rowWriter) total(values ...any) { w.styled(true, values...) }

func (w *rowWriter) styled(bold bool, values ...any) {
	cells := make([]any, len(values))
	lines := 1
	for i, v := range values {
		switch x := v.(type) {
		case int, int64:
			id := w.st.number
			if bold {
				id = w.st.boldNumber
			}
			cells[i] = excelize.Cell{StyleID: id, Value: x}
		case percent:
			cells[i] = excelize.Cell{StyleID: w.st.percent, Value: float64(x)}
		case time.Time: // an Excel date: excelize writes the wall clock of x's zone
			cells[i] = excelize.Cell{StyleID: w.st.dateTime, Value: x}
		case string:
			x = w.t(x) // a label in the workbook's language; data is no label, and stays
			id := w.st.text
			switch {
			case bold:
				id = w.st.bold
			case i+1 == w.wrapCol:
				id = w.st.wrap
				lines = wrappedLines(x, w.wrapWidth)
			}
			cells[i] = excelize.Cell{StyleID: id, Value: x}
		default:
			cells[i] = v
		}
	}
	if lines > 1 {
		w.cells(cells, excelize.RowOpts{Height: float64(lines) * lineHeight})
		return
	}
	w.cells(cells)
}

// lineHeight is one line of text in points, as the sheets' font sets it.
const lineHeight = 15

// wrappedLines is about how many lines text takes in a column of width
// characters, wrapped at spaces, with a margin for wide letters.
func wrappedLines(text string, width float64) int {
	if width <= 0 {
		return 1
	}
	per := int(width * 0.9)
	lines := 0
	for _, para := range strings.Split(text, "\n") {
		n, line := 1, 0
		for _, word := range strings.Fields(para) {
			l := utf8.RuneCountInString(word)
			if line > 0 && line+1+l > per {
				n, line = n+1, 0
			}
			if line > 0 {
				line++
			}
			line += l
			for line > per { // a word longer than the column
				n, line = n+1, line-per
			}
		}
		lines += n
	}
	return min(max(lines, 1), 40)
}

func (w *rowWriter) cells(values []any, opts ...excelize.RowOpts) {
	if w.err != nil {
		return
	}
	w.row++
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	w.err = w.sw.SetRow(cell, values, opts...)
}

// percent is a share, shown as a percentage.
type percent float64

func share(n, of int) any {
	if of == 0 {
		return ""
	}
	return percent(float64(n) / float64(of))
}

func (r *Report) summaryRows(w *rowWriter) {
	set := r.Settings
	kind := w.t("Dry-run")
	if r.StateCounts != nil {
		kind = w.t("Run")
	}
	of := ""
	if set.System != "" {
		of = w.f(" of %s", set.System)
	}
	if set.TestRehearsal {
		of += w.t(", a TEST REHEARSAL with placeholder codes")
	}
	if set.Sample != "" {
		of += w.f(", a SAMPLE of %s", set.Sample)
	}
	w.title(w.f("%s%s: every source record and its outcome", kind, of))
	w.head(false, "What was run", "", "", "", "", "", "", "")
	w.put("Mapping file", set.MappingFile)
	w.put("Command", set.Command)
	w.put(w.f("Started (%s)", set.zone()), set.local(set.Started))
	w.put(w.f("Finished (%s)", set.zone()), set.local(set.Finished))
	w.put("Cut-off (the day of joining)", set.Cutoff)
	if set.Sample != "" {
		w.put("SAMPLE", set.Sample+w.f("; %d records outside it are counted as skipped (sampled-out), not listed", r.SampledOut))
	}
	w.put()
	w.head(false, "Entity", "Extracted", "Generated", r.loadWord(), "Rejected", "Skipped", "Rejected %", "Reconciles")
	for _, e := range Entities {
		c := r.Entities[e]
		if c == nil && Optional(e) {
			continue
		}
		if c == nil {
			c = &Counts{}
		}
		w.put(e, c.Extracted, c.Generated, c.WouldLoad, c.Rejected, c.Skipped, share(c.Rejected, c.Extracted+c.Generated), yesNo(c.Reconciles()))
	}
	t := r.Total
	w.total("Total", t.Extracted, t.Generated, t.WouldLoad, t.Rejected, t.Skipped, share(t.Rejected, t.Extracted+t.Generated), yesNo(t.Reconciles()))
	w.put()
	w.total(w.f("Reconciliation: %s: %s", r.equation(w, t), w.t(map[bool]string{true: "reconciles", false: "DOES NOT RECONCILE"}[r.Reconciles()])))
	for _, p := range r.ReconciliationProblems() {
		w.total(w.f("DOES NOT RECONCILE: %s", p))
	}
	w.put()
	w.head(false, "Entity / source", "Extracted", "Generated", r.loadWord(), "Rejected", "Skipped", "Rejected %", "Reconciles")
	for _, e := range Entities {
		bySource := r.EntitySources[e]
		names := make([]string, 0, len(bySource))
		for n := range bySource {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := bySource[n]
			w.put(e+" / "+n, c.Extracted, c.Generated, c.WouldLoad, c.Rejected, c.Skipped, share(c.Rejected, c.Extracted+c.Generated), yesNo(c.Reconciles()))
		}
	}
	w.put()
	r.sourceCountRows(w)
	w.head(false, "Rejects and skips by rule", "Records", "Meaning", "", "", "", "", "Example locator")
	for _, g := range byRule(r.Rejects, r.Skips) {
		// The meaning runs over the empty cells beside it.
		w.put(w.f(g.word+": %s", g.rule), g.n, w.t(kanta.RuleMeaning(g.rule)), nil, nil, nil, nil, g.example)
	}
	if r.SampledOut > 0 {
		w.put(w.f("skipped: %s", kanta.RuleSampledOut), r.SampledOut, w.t(kanta.RuleMeaning(kanta.RuleSampledOut)), nil, nil, nil, nil, "(not listed)")
	}
	w.put()
	w.head(false, "Documents", "", "", "", "", "", "", "")
	w.put("Documents generated and checked", r.DocumentsGenerated)
	w.put("Documents signed", r.DocumentsSigned)
	if r.StateCounts != nil {
		w.put("Documents delivered by this process", r.DocumentsDelivered)
		w.put("Already at the sink (re-sent, no-op)", r.DuplicatesAtSink)
	}
	w.put("Characters XML forbids, removed", r.RemovedCharacters)
	var warnings any = r.WarningCount()
	if n := r.WarningCount(); n > len(r.Warnings) {
		warnings = w.f("%d (listed: %d, the first %d of each rule; the JSON report lists all)", n, len(r.Warnings), WarningsListedPerRule)
	}
	w.put("Warnings", warnings)
	w.put("Distinct unmapped legacy values", len(r.Unmapped))
	w.put("Sent with an inferred service request (SP17)", r.InferredServiceRequests)
	r.inferenceRows(w)
	r.budgetRows(w)
	if r.Settings.TestRehearsal {
		w.put()
		w.total("TEST REHEARSAL: placeholder codes were allowed (test_rehearsal: true in the mapping)")
		w.put("Documents carrying a placeholder code", r.PlaceholderDocuments)
		if len(r.Settings.CodeSetsToFetch) > 0 {
			w.put("National exports to fetch (kantamig codes)", strings.Join(r.Settings.CodeSetsToFetch, ", "))
		}
		w.put("None of them may go to the real archive: load the national code server's exports and remove test_rehearsal (Warnings sheet, rule rehearsal-placeholder, says which code of each).")
	}
	if r.StateCounts != nil {
		w.put()
		w.head(false, "Delivery, whole run (state store)", "Loaded", "Pending", "Rejected", "Skipped", "", "", "")
		complete := true
		for _, e := range Entities {
			c := r.StateCounts[e]
			if c == nil && Optional(e) {
				continue
			}
			complete = complete && c["pending"] == 0
			w.put(e, c["loaded"], c["pending"], c["rejected"], c["skipped"])
		}
		w.total(map[bool]string{true: "The run is complete: nothing is pending.", false: "The run is NOT complete: run the same command again to deliver what is pending."}[complete])
	}
	w.put()
	w.head(false, "The outcome words", "", "", "", "", "", "", "")
	w.put("Extracted", "read from a source, counted as the records were read (the source's own count, where it has one, is beside it)")
	w.put("Generated", "made by kantamig (a case for documents without a case)")
	w.put(r.loadWord(), "becomes an archive document (or part of one)")
	w.put("Rejected", "not archived: the record breaks a rule (see the Rejects sheet for each one, its rule and reason)")
	w.put("Skipped", "not archived, rightly: e.g. created after the cut-off (see the Skipped sheet)")
}

// equation is Counts.Equation in the workbook's language.
func (r *Report) equation(w *rowWriter, c Counts) string {
	in := w.f("extracted %d", c.Extracted)
	if c.Generated > 0 {
		in += w.f(" + generated %d", c.Generated)
	}
	template := "%s = would load %d + rejected %d + skipped %d"
	if r.StateCounts != nil {
		template = "%s = loads %d + rejected %d + skipped %d"
	}
	return w.f(template, in, c.WouldLoad, c.Rejected, c.Skipped)
}

// sourceCountRows lists, for each source that can count its records apart
// from the reader, its own count beside the records read.
func (r *Report) sourceCountRows(w *rowWriter) {
	head := false
	for _, e := range r.entityNames() {
		bySource := r.EntitySources[e]
		names := make([]string, 0, len(bySource))
		for n := range bySource {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := bySource[n]
			if c.CountedBy == "" {
				continue
			}
			if !head {
				w.head(false, "Entity / source", "Extracted", "The source's own count", "", "", "", "", "Counted by")
				head = true
			}
			var own any = "-"
			if c.SourceCount != nil {
				own = *c.SourceCount
			}
			w.put(e+" / "+n, c.Extracted, own, nil, nil, nil, nil, c.CountedBy)
		}
	}
	if head {
		w.put()
	}
}

// ruleGroup is the count of one rule's rejects or skips, with an example.
type ruleGroup struct {
	word, rule, example string // word: rejected or skipped
	n                   int
}

// byRule groups rejects and skips by rule, most first.
func byRule(rejects, skips []Finding) []ruleGroup {
	var out []ruleGroup
	for _, list := range []struct {
		word string
		fs   []Finding
	}{{"rejected", rejects}, {"skipped", skips}} {
		idx := map[string]int{}
		var groups []ruleGroup
		for _, f := range list.fs {
			i, ok := idx[f.Rule]
			if !ok {
				i = len(groups)
				idx[f.Rule] = i
				groups = append(groups, ruleGroup{word: list.word, rule: f.Rule, example: f.Locator})
			}
			groups[i].n++
		}
		sort.SliceStable(groups, func(a, b int) bool { return groups[a].n > groups[b].n })
		out = append(out, groups...)
	}
	return out
}

// loadWord heads the count of records that load: a dry-run's would, a
// run's do (delivered, or pending to be).
func (r *Report) loadWord() string {
	if r.StateCounts != nil {
		return "Loads"
	}
	return "Would load"
}

func countRows(w *rowWriter, label, load string, m map[string]*Counts) {
	w.title(w.f("Documents by %s", strings.ToLower(w.t(label))))
	w.head(true, "Code", label, "Extracted", load, "Rejected", "Skipped")
	var sum Counts
	for _, k := range sortedByCode(m) {
		c := m[k]
		code, name := splitCode(k)
		w.put(code, name, c.Extracted, c.WouldLoad, c.Rejected, c.Skipped)
		sum.Extracted += c.Extracted
		sum.WouldLoad += c.WouldLoad
		sum.Rejected += c.Rejected
		sum.Skipped += c.Skipped
	}
	w.total("", "Total", sum.Extracted, sum.WouldLoad, sum.Rejected, sum.Skipped)
}

// splitCode parses "code display" labels.
func splitCode(label string) (code, name string) {
	code, name, _ = strings.Cut(label, " ")
	return code, name
}

func findingRows(w *rowWriter, word string, fs []Finding) {
	w.title(w.f("%d records %s", len(fs), w.t(word)))
	w.head(true, "Locator", "Entity", "Source", "Key", "Field", "Rule", "Reason")
	for _, f := range fs {
		w.put(f.Locator, f.Entity, f.Source, f.Key, f.Field, f.Rule, f.Reason)
	}
}

func (r *Report) unmappedRows(w *rowWriter) {
	w.title("Legacy code values no value map covered")
	w.head(true, "Field", "Value map", "Value", "Count", "Example locator")
	for _, u := range r.Unmapped {
		w.put(u.Field, u.Map, u.Value, u.Count, u.ExampleLocator)
	}
}

func (r *Report) settingsRows(w *rowWriter) {
	s := r.Settings
	w.title("Settings of this run")
	w.head(true, "Setting", "Value")
	w.put("Command", s.Command)
	w.put("Mapping file", s.MappingFile)
	w.put("Mapping SHA-256", s.MappingSHA256)
	w.put("Source system", s.System)
	w.put("Cut-off (joining day)", s.Cutoff)
	w.put("Sosmeta schemas", s.SchemaFolder)
	w.put("kantamig version", s.Version)
	w.put("Time zone", s.zone())
	w.put(w.f("Started (%s)", s.zone()), s.local(s.Started))
	w.put(w.f("Finished (%s)", s.zone()), s.local(s.Finished))
	w.put("Personal data shown", yesNo(s.PersonalData))
	if s.Sample != "" {
		w.put("Sample (dry-run --sample)", s.Sample)
	}
	w.put("Test rehearsal (placeholder codes allowed)", yesNo(s.TestRehearsal))
	w.put("Signed with", s.Signer)
	w.put("Signing workers", s.SigningWorkers)
	names := make([]string, 0, len(s.CodeSets))
	for n := range s.CodeSets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w.put(w.f("Code set %s", n), s.CodeSets[n])
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// FormatVersion is the version of the JSON report's format, which
// docs/report.schema.json describes; it changes when a field changes
// meaning or goes away.
const FormatVersion = 1

// codeCount is one code's counts in the JSON report: the code and its label
// apart, so that scripts need not parse "code display".
type codeCount struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Counts
}

// MarshalJSON writes the report in its documented format: the format
// version first, counts by document type and by service task as lists of
// codes with their labels.
func (r *Report) MarshalJSON() ([]byte, error) {
	warnings, err := json.Marshal(r.Warnings)
	if err != nil {
		return nil, err
	}
	return r.marshalWith(warnings)
}

// marshalWith encodes the report with warnings as its warnings array
// (writeJSON puts a marker there, to stream every warning in its place).
func (r *Report) marshalWith(warnings json.RawMessage) ([]byte, error) {
	type plain Report // the fields as tagged, without this method
	return json.Marshal(struct {
		FormatVersion int `json:"format_version"`
		*plain
		Warnings        json.RawMessage `json:"warnings"`
		DocumentsByType []codeCount     `json:"documents_by_type"`
		DocumentsByTask []codeCount     `json:"documents_by_service_task"`
	}{FormatVersion, (*plain)(r), warnings, byCode(r.DocumentsByType), byCode(r.DocumentsByTask)})
}

// byCode lists counts by "code display" label as codes with labels, in
// the codes' numeric order.
func byCode(m map[string]*Counts) []codeCount {
	out := make([]codeCount, 0, len(m))
	for _, k := range sortedByCode(m) {
		code, label := splitCode(k)
		out = append(out, codeCount{Code: code, Label: label, Counts: *m[k]})
	}
	return out
}

// sortedByCode gives the labels of m by code as a number: "2 Ilmoitus"
// before "10 Lastensuojelu".
func sortedByCode(m map[string]*Counts) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		ca, _ := splitCode(keys[a])
		cb, _ := splitCode(keys[b])
		na, ea := strconv.Atoi(ca)
		nb, eb := strconv.Atoi(cb)
		if ea == nil && eb == nil && na != nb {
			return na < nb
		}
		return keys[a] < keys[b]
	})
	return keys
}

// inferenceRows lists the inferences documents rest on, with how many
// documents and what would confirm each (kanta.Inferences): the meaning
// and the confirmation in the last column, the one whose text wraps.
func (r *Report) inferenceRows(w *rowWriter) {
	w.put()
	w.head(false, "Inferences: choices no national source in hand confirms", "Documents", "", "", "", "", "", "Meaning; what would confirm it")
	for _, in := range kanta.Inferences {
		w.put(in.Name, r.Inferences[in.Name], nil, nil, nil, nil, nil, w.t(in.Meaning)+"\n"+w.t("What would confirm it")+": "+w.t(in.Confirm))
	}
}

// budgetRows shows the error budget and what staging used of it.
func (r *Report) budgetRows(w *rowWriter) {
	if r.Budget == nil {
		return
	}
	w.put()
	if !r.Budget.Set {
		w.head(false, "Error budget", "", "", "", "", "", "", "")
		w.put("none set: rejects are reported and the run goes on (error_budget in the mapping sets one)")
		return
	}
	w.head(false, "Error budget", "Records", "Limit", "Rejected", "Used up", "", "", "Rejected by")
	for _, l := range r.Budget.Lines {
		what := l.Entity
		if l.Rule != "" {
			what = w.f("rule %s", l.Rule)
		}
		used := "no"
		if l.Exceeded {
			used = "YES"
		}
		by := l.Rules
		if len(by) > 3 { // one line on the sheet; the JSON report has them all
			by = append(by[:3:3], w.f("and %d more rules", len(l.Rules)-3))
		}
		w.put(what, l.Records, l.Limit, l.Rejected, used, "", "", strings.Join(by, ", "))
	}
	if r.BudgetExceeded() {
		w.total("The error budget is used up: a run stops after staging and delivers nothing (Rejects sheet, filter by rule).")
	} else {
		w.put("Within the error budget.")
	}
}
