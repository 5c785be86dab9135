package extract

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/extract/sqltest"
	"github.com/kantamig/kantamig/internal/testenv"
)

var db *sqltest.Server

func TestMain(m *testing.M) {
	os.Exit(sqltest.Main(m, func(s *sqltest.Server) { db = s }))
}

func needDB(t *testing.T) {
	t.Helper()
	if db == nil {
		testenv.Missing(t, "MariaDB (apt-get install mariadb-server)")
	}
	t.Setenv("KANTAMIG_TEST_DSN", db.DSN)
}

func helsinki() *time.Location {
	loc, _ := time.LoadLocation("Europe/Helsinki")
	return loc
}

func sqlSpec(query string) Spec {
	return Spec{Kind: "mysql", DSNEnv: "KANTAMIG_TEST_DSN", Query: query, Label: "test", KeyColumns: []string{"k"},
		Cutoff: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Timezone: helsinki()}
}

// Column types become text faithfully.
func TestMySQLTypes(t *testing.T) {
	needDB(t)
	err := db.Exec(`DROP TABLE IF EXISTS tyypit;
		CREATE TABLE tyypit (k INT PRIMARY KEY, pvm DATE, aika DATETIME, leima TIMESTAMP NULL, summa DECIMAL(12,2),
		  latin TEXT CHARACTER SET latin1, raaka BLOB, tyhja VARCHAR(10)) DEFAULT CHARSET=utf8mb4;
		SET time_zone = '+00:00';
		INSERT INTO tyypit VALUES (1, '2019-03-05', '2019-07-05 10:30:00', '2019-07-05 07:30:00', 1234.50,
		  'Ääkköset ja åöä', X'4DE46B656CE4', NULL);`)
	if err != nil {
		t.Fatal(err)
	}
	spec := sqlSpec("SELECT * FROM tyypit WHERE pvm < :cutoff")
	spec.Encodings = map[string]string{"raaka": "windows-1252"}
	recs := readOne(t, spec)
	want := map[string]string{
		"pvm": "2019-03-05", "aika": "2019-07-05 10:30:00",
		"leima": "2019-07-05T10:30:00", // stored as UTC, read in the source's zone (summer time, +03:00)
		"summa": "1234.50", "latin": "Ääkköset ja åöä", "raaka": "Mäkelä", "tyhja": "",
	}
	for k, v := range want {
		if got := recs[0].Fields[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if recs[0].Locator != "test k=1" {
		t.Errorf("locator %q", recs[0].Locator)
	}
}

func TestMySQLFailuresNameSourceAndQuery(t *testing.T) {
	needDB(t)
	cases := []struct {
		name, dsn, query, want string
	}{
		{"unreachable", "kantamig:x@tcp(127.0.0.1:1)/sosiaalitoimi", "SELECT 1 AS k WHERE :cutoff IS NOT NULL", "cannot connect"},
		{"wrong credentials", strings.Replace(db.DSN, "kantamig-test-db", "wrong-password", 1), "SELECT 1 AS k WHERE :cutoff IS NOT NULL", "Access denied"},
		{"query error", db.DSN, "SELECT nosuchcolumn FROM asiakas WHERE alkupvm < :cutoff", "Unknown column"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("KANTAMIG_TEST_DSN", c.dsn)
			_, err := Open(sqlSpec(c.query))
			var qe *QueryError
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "query: SELECT") {
				t.Errorf("got %v", err)
			}
			if strings.Contains(err.Error(), "wrong-password") || strings.Contains(err.Error(), "kantamig-test-db") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	// No DSN at all.
	t.Setenv("KANTAMIG_TEST_DSN", "")
	if _, err := Open(sqlSpec("SELECT 1 WHERE :cutoff")); err == nil || !strings.Contains(err.Error(), "KANTAMIG_TEST_DSN") {
		t.Errorf("missing DSN: %v", err)
	}
}

// A connection lost in the middle of a stream is an error, not an early end.
func TestMySQLConnectionLostMidStream(t *testing.T) {
	needDB(t)
	// About 75,000 rows of text, far more than socket buffers hold, so that
	// the kill lands in the middle of the stream.
	src, err := Open(sqlSpec("SELECT d.id AS k, x.rivi_id AS n, t.teksti FROM asiakirja d JOIN asiakirjateksti t ON t.asiakirja_rivi = d.rivi_id JOIN asiakirja x ON x.rivi_id <= 60 WHERE d.laadittu < :cutoff OR d.laadittu IS NULL ORDER BY d.rivi_id, x.rivi_id"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := src.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("SET @id = (SELECT id FROM information_schema.processlist WHERE user = 'kantamig' LIMIT 1); KILL @id;"); err != nil {
		t.Fatal(err)
	}
	n := 10
	for {
		_, err := src.Next(ctx)
		if err == io.EOF {
			t.Fatalf("the stream ended quietly after %d rows; a lost connection must be an error", n)
		}
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), "connection failed after") {
				t.Errorf("got %v", err)
			}
			t.Logf("after %d rows: %v", n, err)
			return
		}
		n++
	}
}

func TestSQLQueryBindsTheCutoff(t *testing.T) {
	cases := []struct {
		kind, want string
	}{
		{"mysql", "SELECT `a`, `b c` FROM `asiakas` WHERE luotu < ? ORDER BY `asnro`"},
		{"mssql", "SELECT [a], [b c] FROM [asiakas] WHERE luotu < @p1 ORDER BY [asnro]"},
	}
	for _, c := range cases {
		q, args, err := SQLQuery(Spec{Kind: c.kind, Table: "asiakas", Columns: []string{"a", "b c"}, Where: "luotu < :cutoff",
			KeyColumns: []string{"asnro"}, Cutoff: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil || q != c.want || len(args) != 1 || args[0] != "2024-03-01" {
			t.Errorf("%s: %q %v %v", c.kind, q, args, err)
		}
	}
	// Reading every row is the way: kantamig applies the cut-off itself.
	if q, args, err := SQLQuery(Spec{Kind: "mysql", Query: "SELECT * FROM asiakas"}); err != nil || q != "SELECT * FROM asiakas" || len(args) != 0 {
		t.Errorf("a query without :cutoff: %q %v %v", q, args, err)
	}
	if q, _, err := SQLQuery(Spec{Kind: "mssql", Table: "asiakas", KeyColumns: []string{"asnro"}}); err != nil || q != "SELECT * FROM [asiakas] ORDER BY [asnro]" {
		t.Errorf("a table without a condition: %q %v", q, err)
	}
}

func TestWallTime(t *testing.T) {
	loc := helsinki()
	utc := time.Date(2024, 1, 5, 8, 0, 0, 0, time.UTC)
	if got := wallTime("DATETIMEOFFSET", utc, loc); got != "2024-01-05T10:00:00" {
		t.Errorf("DATETIMEOFFSET: %s", got)
	}
	if got := wallTime("DATETIME2", utc, loc); got != "2024-01-05T08:00:00" {
		t.Errorf("DATETIME2 keeps its wall time: %s", got)
	}
	if got := wallTime("DATE", utc, loc); got != "2024-01-05" {
		t.Errorf("DATE: %s", got)
	}
}

// MS SQL Server cannot run here; with KANTAMIG_MSSQL_DSN set, the same path
// runs against a real server.
func TestMSSQLIntegration(t *testing.T) {
	dsn := os.Getenv("KANTAMIG_MSSQL_DSN")
	if dsn == "" {
		testenv.Optional(t)
	}
	t.Setenv("KANTAMIG_TEST_DSN", dsn)
	spec := sqlSpec("SELECT 1 AS k, CAST('2019-07-05T07:30:00+00:00' AS DATETIMEOFFSET) AS leima, CAST(1234.50 AS DECIMAL(12,2)) AS summa, CAST(NULL AS NVARCHAR(5)) AS tyhja WHERE CAST(:cutoff AS DATE) > '2000-01-01'")
	spec.Kind = "mssql"
	recs := readOne(t, spec)
	for k, v := range map[string]string{"leima": "2019-07-05T10:30:00", "summa": "1234.50", "tyhja": ""} {
		if got := recs[0].Fields[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// readOne reads a source that must yield exactly one record.
func readOne(t *testing.T, spec Spec) []Record {
	t.Helper()
	src, err := Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	recs, err := ReadAll(context.Background(), src)
	if err != nil || len(recs) != 1 {
		t.Fatalf("%v %d", err, len(recs))
	}
	return recs
}
