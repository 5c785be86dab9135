package report

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The workbook's formatting is in the file, read back as Excel reads it: a
// bold header that stays in view, counts as numbers with thousands
// separators, landscape pages fitted to width with the header repeated, the
// lists as filterable tables, codes apart from names and in numeric order.
func TestWorkbookFormatting(t *testing.T) {
	started := time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC) // 2 March 00:30 in Helsinki
	r := New(Settings{System: "Testijärjestelmä", TimeZone: "Europe/Helsinki", Started: started})
	for i := 0; i < 1234; i++ {
		r.Count("document", "asiakirjat", OutcomeLoad)
	}
	r.Read("document", "asiakirjat", 1234, nil, "")
	r.Reject(Finding{Locator: "a.csv:3", Entity: "document", Source: "asiakirjat", Key: "D1", Rule: "no-case", Reason: "the document belongs to no case"})
	r.DocumentsByType = map[string]*Counts{"10 Pyyntö": {Extracted: 5}, "2 Asiakaskertomus": {Extracted: 7}, "1 Arvio": {Extracted: 1200}}
	r.Finish()
	f := writtenWorkbook(t, r)
	for _, sheet := range f.GetSheetList() {
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 2 {
			t.Errorf("%s: panes %+v %v; want the first two rows frozen", sheet, panes, err)
		}
		layout, err := f.GetPageLayout(sheet)
		if err != nil || layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 {
			t.Errorf("%s: page layout %+v %v; want landscape, one page wide", sheet, layout, err)
		}
		id, err := f.GetCellStyle(sheet, "A2")
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || st.Font == nil || !st.Font.Bold {
			t.Errorf("%s: the header cell A2 is not bold (%+v %v)", sheet, st, err)
		}
	}
	names := f.GetDefinedName()
	titles := 0
	for _, n := range names {
		if n.Name == "_xlnm.Print_Titles" {
			titles++
		}
	}
	if titles != len(f.GetSheetList()) {
		t.Errorf("%d sheets repeat their header when printed, of %d", titles, len(f.GetSheetList()))
	}
	// A count is a number, shown with a thousands separator.
	rows, _ := f.GetRows("Summary")
	found := false
	for i, row := range rows {
		if len(row) > 1 && row[0] == "document" {
			cell, _ := excelize.CoordinatesToCellName(2, i+1)
			id, _ := f.GetCellStyle("Summary", cell)
			st, _ := f.GetStyle(id)
			typ, _ := f.GetCellType("Summary", cell)
			if st == nil || st.NumFmt != 3 || typ == excelize.CellTypeSharedString || row[1] != "1,234" {
				t.Errorf("Summary %s: %q, format %v, type %v; want the number 1,234", cell, row[1], st, typ)
			}
			found = true
		}
	}
	if !found {
		t.Error("no document row on the Summary")
	}
	// Times are Excel dates (numbers with a date format), the wall clock of
	// the mapping's zone, which the label names.
	for _, sheet := range []string{"Summary", "Settings"} {
		rows, _ := f.GetRows(sheet)
		found := false
		for i, row := range rows {
			if len(row) < 2 || row[0] != "Started (Europe/Helsinki)" {
				continue
			}
			found = true
			cell, _ := excelize.CoordinatesToCellName(2, i+1)
			typ, _ := f.GetCellType(sheet, cell)
			raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			want := "46083.020833333336" // 2026-03-02 00:30 as Excel counts days
			if row[1] != "2026-03-02 00:30:00" || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || !strings.HasPrefix(raw, want[:11]) {
				t.Errorf("%s %s: shown %q, raw %q, type %v; want the Excel date of 2026-03-02 00:30", sheet, cell, row[1], raw, typ)
			}
		}
		if !found {
			t.Errorf("%s: no Started row in the mapping's zone", sheet)
		}
	}
	if tables, err := f.GetTables("Rejects"); err != nil || len(tables) != 1 {
		t.Errorf("Rejects: tables %v %v; want one, filterable", tables, err)
	}
	byType, _ := f.GetRows("By type")
	var codes []string
	for _, row := range byType[2:] {
		codes = append(codes, row[0])
	}
	if len(codes) < 3 || codes[0] != "1" || codes[1] != "2" || codes[2] != "10" || byType[2][1] != "Arvio" {
		t.Errorf("By type: codes %v, first row %v; want 1, 2, 10 in their own column", codes, byType[2])
	}
}

// A reason longer than its column makes its row as tall as its lines, so
// that it does not print over the rows below; a short one leaves the row
// as it is.
func TestALongReasonMakesItsRowTaller(t *testing.T) {
	r := New(Settings{System: "Testi", TimeZone: "Europe/Helsinki"})
	long := strings.Repeat("the archive refused the document because of what it names here ", 6)
	r.Reject(Finding{Locator: "a.csv:3", Entity: "document", Source: "s", Key: "D1", Rule: "archive-rejected", Reason: long})
	r.Reject(Finding{Locator: "a.csv:4", Entity: "document", Source: "s", Key: "D2", Rule: "no-case", Reason: "short"})
	r.Finish()
	f := writtenWorkbook(t, r)
	rows, _ := f.GetRows("Rejects")
	for i, row := range rows {
		if len(row) < 2 || (row[0] != "a.csv:3" && row[0] != "a.csv:4") {
			continue
		}
		h, err := f.GetRowHeight("Rejects", i+1)
		if err != nil {
			t.Fatal(err)
		}
		lines := wrappedLines(row[len(row)-1], 90)
		if row[0] == "a.csv:3" && (lines < 4 || h < float64(lines)*lineHeight) {
			t.Errorf("the long reason's row: %d lines, %.0f pt high", lines, h)
		}
		if row[0] == "a.csv:4" && h > 2*lineHeight {
			t.Errorf("a short reason's row is %.0f pt high", h)
		}
	}
	if n := wrappedLines(strings.Repeat("x", 500), 50); n < 10 {
		t.Errorf("a word of 500 letters in 50: %d lines", n)
	}
}

// A header longer than its column wraps within a row as tall as its lines,
// not over the row below: the Summary's "own count" header in Finnish.
func TestAWrappedHeaderMakesItsRowTaller(t *testing.T) {
	r := New(Settings{System: "Testi", TimeZone: "Europe/Helsinki", Language: "fi"})
	n := 1
	r.Read("client", "asiakkaat", 1, &n, "COUNT(*)")
	r.Count("client", "asiakkaat", OutcomeLoad)
	r.Finish()
	f := writtenWorkbook(t, r)
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	found := false
	for i, row := range rows {
		if len(row) > 2 && row[2] == translate("fi", "The source's own count") {
			found = true
			h, err := f.GetRowHeight(sheet, i+1)
			if err != nil {
				t.Fatal(err)
			}
			if h < 2*lineHeight {
				t.Errorf("the header %q wraps in its column but its row is %.0f pt high", row[2], h)
			}
		}
	}
	if !found {
		t.Fatalf("no own-count header on the Summary: %v", rows)
	}
}

// writtenWorkbook writes r as a workbook and opens it, closed when the
// test ends.
func writtenWorkbook(t *testing.T, r *Report) *excelize.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if err := r.WriteExcel(path); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
