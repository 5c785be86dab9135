package extract

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// readAndCount reads a source through its reader and counts it through its
// counter.
func readAndCount(t *testing.T, spec Spec) (read, counted int) {
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
	c, ok := CounterOf(src)
	if !ok {
		t.Fatalf("a %s source has no counter", spec.Kind)
	}
	n, how, err := c.CountRecords(context.Background())
	if err != nil || how == "" {
		t.Fatalf("count: %d %q %v", n, how, err)
	}
	return len(recs), n
}

// Each counter counts what its reader should make records of, by a path of
// its own; the expected counts are written from the files, by hand. Where
// the reader loses records (a lone-CR CSV, records under a misnamed parent),
// the counter does not, and the two differ: the ledger's finding.
func TestCountersCountTheSourceApartFromTheReader(t *testing.T) {
	for _, tc := range []struct {
		name        string
		spec        Spec
		data        string
		read, count int
	}{
		{"csv: quoted line breaks, CRLF, an empty line", Spec{Kind: "csv"}, "id,text\r\n1,\"two\r\nlines\"\r\n\r\n2,plain\r\n3,\"a \"\"quote\"\"\"\n", 3, 3},
		{"csv: no header, no final line break", Spec{Kind: "csv", NoHeader: true}, "1;a\n2;b", 2, 2},
		{"csv: semicolons and a quoted delimiter", Spec{Kind: "csv", Delimiter: ";"}, "id;t\n1;\"a;b\"\n", 1, 1},
		{"csv: lone CR line ends, which the reader takes for one line", Spec{Kind: "csv"}, "id,t\r1,a\r2,b\r", 0, 2},
		{"xml: records, a misnamed record, a field beside them", Spec{Kind: "xml", Record: "/x/ds/d"},
			"<x><ds><nimi>field</nimi><d id=\"1\"/><D><t>a</t></D><d><e>2</e></d></ds></x>", 3, 3},
		{"xml: records under a misnamed parent, handed on", Spec{Kind: "xml", Record: "/x/ds/d"},
			"<x><ds><d id=\"1\"/></ds><docs><d id=\"2\"/><d id=\"3\"/></docs></x>", 3, 3},
		{"xml: records at another depth, handed on; a text field named as one is not", Spec{Kind: "xml", Record: "/x/ds/d"},
			"<x><d id=\"0\"/><ds><d id=\"1\"/></ds><a><b><c><d><t>4</t></d><d>text</d></c></b></a></x>", 3, 3},
		{"xml: same-named elements deeper are not records", Spec{Kind: "xml", Record: "/x/d"},
			"<x><d id=\"1\"><d>inner</d></d><meta><d id=\"4\"/></meta></x>", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := map[string]string{"csv": ".csv", "xml": ".xml"}[tc.spec.Kind]
			tc.spec.File = writeFile(t, "f"+ext, []byte(tc.data))
			read, count := readAndCount(t, tc.spec)
			if read != tc.read || count != tc.count {
				t.Errorf("read %d, counted %d; want read %d, counted %d", read, count, tc.read, tc.count)
			}
		})
	}
}

// A sheet's blank rows, and a row whose only text is spaces (a shared
// string), are layout to the reader and to the counter alike; rows above
// the header do not count.
func TestXLSXCounterSkipsBlankRowsAsTheReaderDoes(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "Other")
	f.NewSheet("Asiat")
	f.SetSheetRow("Other", "A1", &[]any{"not", "this"})
	f.SetSheetRow("Asiat", "A1", &[]any{"title"})
	f.SetSheetRow("Asiat", "A2", &[]any{"id", "teksti"})
	f.SetSheetRow("Asiat", "A3", &[]any{"S1", "a"})
	f.SetSheetRow("Asiat", "A5", &[]any{"   ", ""})
	f.SetSheetRow("Asiat", "A6", &[]any{42, nil})
	f.SetSheetRow("Asiat", "B8", &[]any{"S3"})
	path := filepath.Join(t.TempDir(), "f.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	read, count := readAndCount(t, Spec{Kind: "xlsx", File: path, Sheet: "Asiat", HeaderRow: 2})
	if read != 3 || count != 3 {
		t.Errorf("read %d, counted %d; want 3 and 3 (rows 3, 6, 8)", read, count)
	}
	if _, err := countXLSX(context.Background(), Spec{File: path, Sheet: "Puuttuu"}); err == nil || !strings.Contains(err.Error(), "Puuttuu") {
		t.Errorf("a missing sheet: %v", err)
	}
}

// The sample system's files: each counter agrees with its reader.
func TestCountersAgreeOnTheSamples(t *testing.T) {
	for _, spec := range []Spec{
		{Kind: "csv", File: "../samples/legacy/asiakkaat.csv", Delimiter: ";"},
		{Kind: "xlsx", File: "../samples/legacy/asiat.xlsx", Sheet: "Asiat"},
		{Kind: "xml", File: "../samples/legacy/asiakirjat.xml", Record: "/vienti/asiakirjat/asiakirja"},
		{Kind: "xlsx", File: "../samples/kotihoito/paatokset.xlsx", Sheet: "Päätökset"},
		{Kind: "xml", File: "../samples/kotihoito/kaynnit.xml", Record: "/vienti/asiakas/merkinta"},
	} {
		read, count := readAndCount(t, spec)
		if read != count || read == 0 {
			t.Errorf("%s: read %d, counted %d", spec.File, read, count)
		}
	}
}

// A database source counts with SELECT COUNT(*) over the same query, the
// cut-off bound as in the query it streams.
func TestSQLCounterIsTheQuerysCount(t *testing.T) {
	needDB(t)
	if err := db.Exec(`DROP TABLE IF EXISTS laskettavat;
		CREATE TABLE laskettavat (k INT PRIMARY KEY, pvm DATE);
		INSERT INTO laskettavat VALUES (1, '2019-01-01'), (2, '2020-01-01'), (3, '2025-01-01');`); err != nil {
		t.Fatal(err)
	}
	read, count := readAndCount(t, sqlSpec("SELECT k, pvm FROM laskettavat WHERE pvm < :cutoff"))
	if read != 2 || count != 2 {
		t.Errorf("read %d, counted %d; want 2 and 2 (the third is after the cut-off)", read, count)
	}
}
