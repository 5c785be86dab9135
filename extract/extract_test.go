package extract

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readAll(t *testing.T, spec Spec) []Record {
	t.Helper()
	src, err := Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	recs, err := ReadAll(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestCSVWindows1252AndLocators(t *testing.T) {
	text := "id;nimi;teksti\n1;Mäkelä;\"kaksi\nriviä\"\n2;Ålander;x\n"
	data, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "a.csv", data)
	recs := readAll(t, Spec{Kind: "csv", File: path, Delimiter: ";", Encoding: "windows-1252"})
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].Fields["nimi"] != "Mäkelä" || recs[1].Fields["nimi"] != "Ålander" {
		t.Errorf("decoding: %q %q", recs[0].Fields["nimi"], recs[1].Fields["nimi"])
	}
	if recs[0].Fields["teksti"] != "kaksi\nriviä" {
		t.Errorf("multi-line field: %q", recs[0].Fields["teksti"])
	}
	// The second record starts on line 4: the first took lines 2 and 3.
	if recs[0].Locator != "a.csv:2" || recs[1].Locator != "a.csv:4" {
		t.Errorf("locators %q %q", recs[0].Locator, recs[1].Locator)
	}
}

func TestCSVUTF8KeepsInvalidBytesForTheMapping(t *testing.T) {
	path := writeFile(t, "b.csv", []byte("id,nimi\n1,M\xe4kel\xe4\n"))
	recs := readAll(t, Spec{Kind: "csv", File: path})
	if recs[0].Fields["nimi"] != "M\xe4kel\xe4" {
		t.Errorf("invalid bytes must reach the mapping unchanged, got %q", recs[0].Fields["nimi"])
	}
}

func TestCSVFieldCountProblem(t *testing.T) {
	path := writeFile(t, "c.csv", []byte("id,nimi\n1,a,b\n"))
	recs := readAll(t, Spec{Kind: "csv", File: path})
	if _, ok := recs[0].Fields[FieldCountProblem]; !ok {
		t.Error("a line with more fields than the header must be flagged")
	}
}

func TestXMLRecordPathEncodingAndFlattening(t *testing.T) {
	text := `<?xml version="1.0" encoding="windows-1252"?>
<export><other><document id="X"/></other><documents>
<document id="D1"><author reg="9"><name>Mäki</name></author><service>A</service><service>B</service><text>rivi 1
rivi 2</text></document>
<document id="D2"><text/></document>
</documents></export>`
	data, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	path := writeFile(t, "d.xml", data)
	recs := readAll(t, Spec{Kind: "xml", File: path, Record: "/export/documents/document"})
	if len(recs) != 3 || recs[0].Fields[UnexpectedElement] != "/export/other/document" || recs[0].Fields["@id"] != "X" {
		t.Fatalf("%d records, want 3 (the document outside the path handed on, marked): %v", len(recs), recs)
	}
	recs = recs[1:]
	f := recs[0].Fields
	checks := map[string]string{"@id": "D1", "author/@reg": "9", "author/name": "Mäki", "service": "A\nB", "text": "rivi 1\nrivi 2"}
	for k, want := range checks {
		if f[k] != want {
			t.Errorf("field %s = %q, want %q", k, f[k], want)
		}
	}
	if _, ok := f["author"]; ok {
		t.Error("an element holding only elements has no value of its own")
	}
	if !strings.Contains(recs[1].Locator, "document[2]") || !strings.Contains(recs[1].Locator, "line 5") {
		t.Errorf("locator %q", recs[1].Locator)
	}
}

func TestXMLBrokenFileIsAnErrorNotASilentEnd(t *testing.T) {
	path := writeFile(t, "e.xml", []byte("<a><b>1</b><b>2</a>"))
	src, err := Open(Spec{Kind: "xml", File: path, Record: "/a/b"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := ReadAll(context.Background(), src); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("want an error with its position, got %v", err)
	}
}

// A date cell (a number with a date format: built-in or the workbook's own)
// comes as an ISO date, with its time when the format shows one; a number
// in a cell without a date format stays a number; a 1904 workbook's dates
// are read in its own date system. The expected days are what Excel shows.
func TestXLSXDateCellsNumbersAndBlankRows(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		f := excelize.NewFile()
		if date1904 {
			if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
				t.Fatal(err)
			}
		}
		builtin, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		finnish := "d.m.yyyy"
		custom, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &finnish})
		stamp := "d.m.yyyy h:mm"
		withTime, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &stamp})
		money := "#,##0.00 \"€\";[Red]-#,##0.00 \"€\""
		number, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &money})
		f.SetSheetName("Sheet1", "Asiat")
		f.SetSheetRow("Asiat", "A1", &[]any{"id", "avattu", "suljettu", "kirjattu", "vuosi", "summa", "teksti"})
		// Cell values are the serial numbers Excel stores for 5.3.2019,
		// 31.12.2020 and 5.7.2019 10:30 in the workbook's date system.
		serial := func(n float64) float64 {
			if date1904 {
				return n - 1462
			}
			return n
		}
		f.SetSheetRow("Asiat", "A2", &[]any{"S1", serial(43529), serial(44196), serial(43651.4375), 2020, 1234.5, "05.03.2019"})
		f.SetCellStyle("Asiat", "B2", "B2", builtin)
		f.SetCellStyle("Asiat", "C2", "C2", custom)
		f.SetCellStyle("Asiat", "D2", "D2", withTime)
		f.SetCellStyle("Asiat", "F2", "F2", number)
		f.SetSheetRow("Asiat", "A4", &[]any{"S2", "", ""})
		path := filepath.Join(t.TempDir(), "f.xlsx")
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		recs := readAll(t, Spec{Kind: "xlsx", File: path, Sheet: "Asiat"})
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2 (row 3 is blank)", len(recs))
		}
		for field, want := range map[string]string{"avattu": "2019-03-05", "suljettu": "2020-12-31", "kirjattu": "2019-07-05T10:30:00",
			"vuosi": "2020", "summa": "1234.5", "teksti": "05.03.2019"} {
			if got := recs[0].Fields[field]; got != want {
				t.Errorf("1904 system %v: %s is %q, want %q", date1904, field, got, want)
			}
		}
		if recs[1].Locator != "f.xlsx!Asiat:4" {
			t.Errorf("locator %q", recs[1].Locator)
		}
	}
}

// Number formats: which show a date, which a time, which neither.
func TestIsDateFormat(t *testing.T) {
	for code, want := range map[string][2]bool{
		"d.m.yyyy": {true, false}, "dd.mm.yyyy hh:mm": {true, true}, "mmm-yy": {true, false}, "h:mm AM/PM": {true, true},
		"[h]:mm:ss": {true, true}, "General": {false, false}, "0.00": {false, false}, "#,##0 \"kpl\"": {false, false},
		"0.00E+00": {false, false}, "@": {false, false}, "[Red]0.00": {false, false}, "\"day\" 0": {false, false},
		"[$-40B]d. mmmm yyyy": {true, false}, "_(* #,##0_)": {false, false},
	} {
		date, withTime := isDateFormat(code)
		if [2]bool{date, withTime} != want {
			t.Errorf("%q: date %v, time %v; want %v", code, date, withTime, want)
		}
	}
}

func TestMissingSheetNamesTheSheets(t *testing.T) {
	f := excelize.NewFile()
	path := filepath.Join(t.TempDir(), "g.xlsx")
	f.SaveAs(path)
	_, err := Open(Spec{Kind: "xlsx", File: path, Sheet: "Asiat"})
	if err == nil || !strings.Contains(err.Error(), "Sheet1") {
		t.Errorf("want an error listing the sheets, got %v", err)
	}
}

// An element where records stand but under another name is handed on as a
// record marked unexpected, so that the mapping rejects it and it counts; it
// used to vanish. Elements deeper or elsewhere are not records at all.
func TestXMLElementAtRecordLevelUnderAnotherNameIsHandedOn(t *testing.T) {
	path := writeFile(t, "h.xml", []byte("<x>\n<d id=\"1\"/>\n<D id=\"2\"><t>a</t></D>\n<d id=\"3\"/>\n<meta><d id=\"4\"/></meta>\n</x>\n"))
	recs := readAll(t, Spec{Kind: "xml", File: path, Record: "/x/d"})
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (three <d> and the <D>, and the <meta> that stands at the record level)", len(recs))
	}
	if recs[1].Fields[UnexpectedElement] != "D" || recs[1].Fields["@id"] != "2" || !strings.Contains(recs[1].Locator, "/x/D (line 3)") {
		t.Errorf("the <D> record: %q %v", recs[1].Locator, recs[1].Fields)
	}
	if recs[3].Fields[UnexpectedElement] != "meta" {
		t.Errorf("the <meta> record: %v", recs[3].Fields)
	}
	for _, i := range []int{0, 2} {
		if _, odd := recs[i].Fields[UnexpectedElement]; odd {
			t.Errorf("record %d marked unexpected", i)
		}
	}
}

// A quoting error stops the source with its position and what to do; a line
// with the wrong number of fields is read and marked for the mapping to reject.
func TestCSVQuotingErrorStopsWithPositionFieldCountDoesNot(t *testing.T) {
	path := writeFile(t, "q.csv", []byte("id;nimi\n1;a\n2;Matti \"Masa\" M\n3;c\n"))
	src, err := Open(Spec{Kind: "csv", File: path, Delimiter: ";"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = src.Next(context.Background())
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "column") || !strings.Contains(err.Error(), "fix the quoting") {
		t.Fatalf("want the position and what to fix, got %v", err)
	}
	recs := readAll(t, Spec{Kind: "csv", File: writeFile(t, "n.csv", []byte("id;nimi\n1;a;extra\n2;b\n")), Delimiter: ";"})
	if len(recs) != 2 || recs[0].Fields[FieldCountProblem] == "" || recs[1].Fields[FieldCountProblem] != "" {
		t.Errorf("field count: %v", recs)
	}
}

// A record reads the attributes and simple child elements of the elements
// enclosing it, as far as they precede it: an export that puts the client's
// identity code on the element around the client's documents.
func TestXMLRecordReadsItsAncestors(t *testing.T) {
	text := `<vienti versio="3">
<asiakas hetu="010190Y990M"><nimi>Testinen</nimi>
  <asiakirja id="1"><teksti>a</teksti></asiakirja>
  <asiakirja id="2"><teksti>b</teksti></asiakirja>
  <myohemmin>after the records</myohemmin>
</asiakas>
<asiakas hetu="150467-946P">
  <asiakirja id="3"/>
</asiakas>
</vienti>`
	recs := readAll(t, Spec{Kind: "xml", File: writeFile(t, "a.xml", []byte(text)), Record: "/vienti/asiakas/asiakirja"})
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for i, want := range []map[string]string{
		{"@id": "1", "../@hetu": "010190Y990M", "../nimi": "Testinen", "../../@versio": "3"},
		{"@id": "2", "../@hetu": "010190Y990M", "../nimi": "Testinen"},
		{"@id": "3", "../@hetu": "150467-946P", "../../@versio": "3"},
	} {
		for k, v := range want {
			if got := recs[i].Fields[k]; got != v {
				t.Errorf("record %d: %s = %q, want %q", i+1, k, got, v)
			}
		}
	}
	if _, ok := recs[2].Fields["../nimi"]; ok {
		t.Error("record 3 has the previous client's name")
	}
	for _, r := range recs {
		if _, ok := r.Fields["../myohemmin"]; ok {
			t.Errorf("record %s reads an element that follows it", r.Fields["@id"])
		}
	}
}

// Open numbers the records of every kind, 1 for the first, the same on every read.
func TestRecordsArePositioned(t *testing.T) {
	path := writeFile(t, "p.csv", []byte("a\nx\ny\nz\n"))
	for round := 0; round < 2; round++ {
		for i, r := range readAll(t, Spec{Kind: "csv", File: path}) {
			if r.Position != i+1 {
				t.Errorf("record %d has position %d", i+1, r.Position)
			}
		}
	}
}

// Nesting has a limit with a clear error, in a record and outside one, and
// reading is linear in the depth up to it.
func TestXMLNestingDeeperThanTheLimitIsAnError(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("<e>", n) + strings.Repeat("</e>", n) }
	for name, text := range map[string]string{
		"in a record":      "<x><d id=\"1\">" + deep(maxXMLDepth) + "</d></x>",
		"outside a record": "<x>" + deep(maxXMLDepth+1) + "<d id=\"1\"/></x>",
	} {
		t.Run(name, func(t *testing.T) {
			src, err := Open(Spec{Kind: "xml", File: writeFile(t, "deep.xml", []byte(text)), Record: "/x/d"})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			_, err = src.Next(context.Background())
			if err == nil || !strings.Contains(err.Error(), "nest deeper than 256 levels") || !strings.Contains(err.Error(), "line 1") {
				t.Errorf("want the depth limit with its place, got %v", err)
			}
		})
	}
	recs := readAll(t, Spec{Kind: "xml", File: writeFile(t, "ok.xml", []byte("<x><d id=\"1\">"+deep(maxXMLDepth-3)+"</d></x>")), Record: "/x/d"})
	if len(recs) != 1 {
		t.Errorf("%d records just under the limit, want 1", len(recs))
	}
}

// A file declared windows-1252 (or ISO 8859) whose bytes are UTF-8 is
// refused with where and what to do; read as declared, every ä would become
// "Ã¤". The same letters in windows-1252 read as declared.
func TestCSVDeclaredSingleByteButUTF8IsRefused(t *testing.T) {
	text := "id;nimi\n1;Virtanen\n2;Mäkinen\n"
	for _, enc := range []string{"windows-1252", "iso-8859-1", "iso-8859-15"} {
		_, err := Open(Spec{Kind: "csv", File: writeFile(t, "u.csv", []byte(text)), Delimiter: ";", Encoding: enc})
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "Remove encoding:") || !strings.Contains(err.Error(), enc) {
			t.Errorf("%s: want a refusal naming line 3 and what to do, got %v", enc, err)
		}
	}
	legacy, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	recs := readAll(t, Spec{Kind: "csv", File: writeFile(t, "w.csv", legacy), Delimiter: ";", Encoding: "windows-1252"})
	if len(recs) != 2 || recs[1].Fields["nimi"] != "Mäkinen" {
		t.Errorf("windows-1252 as declared: %v", recs)
	}
	// ASCII only: nothing tells the two apart, and nothing is read wrong.
	if recs := readAll(t, Spec{Kind: "csv", File: writeFile(t, "a.csv", []byte("id;nimi\n1;Virtanen\n")), Delimiter: ";", Encoding: "windows-1252"}); len(recs) != 1 {
		t.Errorf("ASCII: %v", recs)
	}
}

// A workbook that would unpack beyond the limits is refused before the
// workbook library unpacks it: a part packed far tighter than records pack
// (a zip bomb), and shared strings too large to hold in memory.
func TestXLSXThatUnpacksTooFarIsRefused(t *testing.T) {
	bomb := func(part string, size int) string {
		path := filepath.Join(t.TempDir(), "bomb.xlsx")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		w, err := zw.Create(part)
		if err != nil {
			t.Fatal(err)
		}
		chunk := make([]byte, 1<<20)
		for n := 0; n < size; n += len(chunk) {
			w.Write(chunk)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	for part, want := range map[string]struct {
		size int
		says string
	}{
		"xl/worksheets/sheet1.xml": {64 << 20, "zip bomb"},
		"xl/sharedStrings.xml":     {300 << 20, "shared strings unpack to 300 MiB"},
	} {
		_, err := Open(Spec{Kind: "xlsx", File: bomb(part, want.size)})
		if err == nil || !strings.Contains(err.Error(), want.says) {
			t.Errorf("%s: want %q, got %v", part, want.says, err)
		}
	}
}

// A hierarchical export holds a kind of record at each level: clients,
// their periods and cases, the cases' entries. Each source reads its own
// records only: another source's elements among them are neither misplaced
// records of this one nor fields of it, and the counter agrees. A misnamed
// element (<Jakso>) is still handed on, and namespace declarations are no
// fields.
func TestXMLHierarchicalExportReadByOneSourcePerLevel(t *testing.T) {
	path := writeFile(t, "v.xml", []byte(`<v:vienti xmlns:v="urn:vienti">
 <v:asiakas id="1" hetu="010180-950R"><v:nimi>Aino</v:nimi>
  <v:jakso alku="1998-03-01"/>
  <v:asia id="A1"><v:kirjaus id="K1"><v:teksti>yksi</v:teksti></v:kirjaus><v:kirjaus id="K2"><v:teksti>kaksi</v:teksti></v:kirjaus></v:asia>
  <v:jakso alku="2003-01-15"/>
  <v:Jakso alku="2005-01-01"/>
 </v:asiakas>
 <v:asiakas id="2" hetu="150467-949X"><v:asia id="A2"><v:kirjaus id="K3"><v:teksti>kolme</v:teksti></v:kirjaus></v:asia></v:asiakas>
</v:vienti>
`))
	records := map[string]string{"asiakas": "/vienti/asiakas", "jakso": "/vienti/asiakas/jakso", "asia": "/vienti/asiakas/asia", "kirjaus": "/vienti/asiakas/asia/kirjaus"}
	want := map[string]int{"asiakas": 2, "jakso": 3, "asia": 2, "kirjaus": 3} // jakso: two and the misnamed <Jakso>
	for name, record := range records {
		spec := Spec{Kind: "xml", File: path, Record: record}
		for other, r := range records {
			if other != name {
				spec.OtherRecords = append(spec.OtherRecords, r)
			}
		}
		recs := readAll(t, spec)
		if len(recs) != want[name] {
			t.Errorf("%s: %d records, want %d: %v", name, len(recs), want[name], recs)
		}
		unexpected := 0
		for _, r := range recs {
			if _, odd := r.Fields[UnexpectedElement]; odd {
				unexpected++
			}
			for f := range r.Fields {
				if strings.Contains(f, "kirjaus") || strings.Contains(f, "asia/") || strings.HasPrefix(f, "jakso") || strings.HasSuffix(f, "@v") {
					t.Errorf("%s: a field %q of another source's records or a namespace", name, f)
				}
			}
		}
		if wantOdd := map[bool]int{true: 1}[name == "jakso"]; unexpected != wantOdd {
			t.Errorf("%s: %d records marked unexpected, want %d", name, unexpected, wantOdd)
		}
		if name == "kirjaus" && (recs[0].Fields["../../@id"] != "1" || recs[0].Fields["../@id"] != "A1" || recs[2].Fields["../@id"] != "A2") {
			t.Errorf("kirjaus reads its case and client: %v / %v", recs[0].Fields, recs[2].Fields)
		}
		src, err := Open(spec)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := CounterOf(src)
		n, _, err := c.CountRecords(context.Background())
		src.Close()
		if err != nil || n != want[name] {
			t.Errorf("%s: the counter says %d (%v), want %d", name, n, err, want[name])
		}
	}
	// Without the other sources' paths, their elements are misplaced records:
	// a mapping that reads only the periods is told of every case.
	recs := readAll(t, Spec{Kind: "xml", File: path, Record: "/vienti/asiakas/jakso"})
	if len(recs) != 5 {
		t.Errorf("periods alone: %d records, want 5 (two periods, the <Jakso> and the two cases)", len(recs))
	}
}
