package extract_test

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/extract/extracttest"
	"github.com/kantamig/kantamig/internal/testenv"
)

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func csvBytes(t *testing.T, cols []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.Write(cols)
	w.WriteAll(rows)
	return b.Bytes()
}

func TestCSVConformance(t *testing.T) {
	spec := func(path string) extract.Spec {
		return extract.Spec{Kind: "csv", File: path, Delimiter: ";", Encoding: "utf-8"}
	}
	extracttest.Run(t, extracttest.Harness{
		Write: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			return spec(write(t, "a.csv", csvBytes(t, cols, rows)))
		},
		Broken: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			data := csvBytes(t, cols, rows)
			at := bytes.Index(data, []byte("K010"))
			broken := append(append(bytes.Clone(data[:at]), []byte(`K010;"Äyräpää 10 ei lopu;`)...), data[at+4:]...)
			return spec(write(t, "a.csv", broken))
		},
		Invalid: func(t *testing.T, raw []byte) extract.Spec {
			return spec(write(t, "a.csv", append([]byte("id;name;text\nK1;n;"), append(raw, '\n')...)))
		},
	})
}

func xmlBytes(cols []string, rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vienti>\n")
	for _, r := range rows {
		b.WriteString("  <rivi>")
		for i, c := range cols {
			fmt.Fprintf(&b, "<%s>", c)
			xml.EscapeText(&b, []byte(r[i]))
			fmt.Fprintf(&b, "</%s>", c)
		}
		b.WriteString("</rivi>\n")
	}
	b.WriteString("</vienti>\n")
	return b.Bytes()
}

func TestXMLConformance(t *testing.T) {
	spec := func(path string) extract.Spec { return extract.Spec{Kind: "xml", File: path, Record: "/vienti/rivi"} }
	extracttest.Run(t, extracttest.Harness{
		Write: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			return spec(write(t, "a.xml", xmlBytes(cols, rows)))
		},
		Broken: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			data := xmlBytes(cols, rows)
			return spec(write(t, "a.xml", data[:len(data)/2])) // cut off in the middle
		},
		Invalid: func(t *testing.T, raw []byte) extract.Spec {
			doc := append([]byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vienti><rivi><id>K1</id><text>"), raw...)
			return spec(write(t, "a.xml", append(doc, []byte("</text></rivi></vienti>\n")...)))
		},
	})
}

func TestXLSXConformance(t *testing.T) {
	extracttest.Run(t, extracttest.Harness{
		Write: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			f := excelize.NewFile()
			defer f.Close()
			sw, err := f.NewStreamWriter("Sheet1")
			if err != nil {
				t.Fatal(err)
			}
			row := func(vals []string) []any {
				out := make([]any, len(vals))
				for i, v := range vals {
					out[i] = v
				}
				return out
			}
			sw.SetRow("A1", row(cols))
			for i, r := range rows {
				sw.SetRow(fmt.Sprintf("A%d", i+2), row(r))
			}
			if err := sw.Flush(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "a.xlsx")
			if err := f.SaveAs(path); err != nil {
				t.Fatal(err)
			}
			return extract.Spec{Kind: "xlsx", File: path}
		},
		// A workbook is a zip read whole before its first row, and its XML
		// cannot carry bytes outside UTF-8: neither case arises mid-stream.
	})
}

var tables atomic.Int64

func TestMySQLConformance(t *testing.T) {
	db := extract.DatabaseForTests()
	if db == nil {
		testenv.Missing(t, "MariaDB (apt-get install mariadb-server)")
	}
	t.Setenv("KANTAMIG_CONFORMANCE_DSN", db.DSN)
	table := func(t *testing.T, cols []string, rows [][]string, textType string) string {
		name := fmt.Sprintf("conformance_%d", tables.Add(1))
		var b strings.Builder
		fmt.Fprintf(&b, "DROP TABLE IF EXISTS %s; CREATE TABLE %s (id VARCHAR(10) PRIMARY KEY, name VARCHAR(100), text %s) DEFAULT CHARSET=utf8mb4;", name, name, textType)
		for _, r := range rows {
			fmt.Fprintf(&b, "INSERT INTO %s VALUES ('%s', '%s', %s);", name, r[0], r[1], r[2])
		}
		if err := db.Exec(b.String()); err != nil {
			t.Fatal(err)
		}
		return name
	}
	quoted := func(rows [][]string) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			out[i] = []string{r[0], r[1], "'" + r[2] + "'"}
		}
		return out
	}
	spec := func(query string) extract.Spec {
		return extract.Spec{Kind: "mysql", Name: "conformance", DSNEnv: "KANTAMIG_CONFORMANCE_DSN", Query: query, KeyColumns: []string{"id"},
			Cutoff: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Timezone: time.UTC}
	}
	extracttest.Run(t, extracttest.Harness{
		Write: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			name := table(t, cols, quoted(rows), "TEXT")
			return spec("SELECT id, name, text FROM " + name + " WHERE :cutoff IS NOT NULL ORDER BY id")
		},
		// The server fails the query at the tenth row, after it has sent the
		// first ones: a subquery that returns two rows there.
		Broken: func(t *testing.T, cols []string, rows [][]string) extract.Spec {
			name := table(t, cols, quoted(rows), "TEXT")
			return spec("SELECT id, name, IF(id < 'K010', text, (SELECT 1 UNION SELECT 2)) AS text FROM " + name + " WHERE :cutoff IS NOT NULL ORDER BY id")
		},
		Invalid: func(t *testing.T, raw []byte) extract.Spec {
			name := table(t, nil, [][]string{{"K1", "n", fmt.Sprintf("X'%X'", raw)}}, "BLOB")
			return spec("SELECT id, name, text FROM " + name + " WHERE :cutoff IS NOT NULL")
		},
	})
}
