package extract

import (
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkMariaDBExtract reads a generated documents table of
// KANTAMIG_BENCH_ROWS rows (default 1,000,000) through the mysql source, and
// times the mariadb command-line client running the same query to /dev/null
// in the same run, for comparison. Heap in use after the stream shows that
// memory does not grow with the rows.
func BenchmarkMariaDBExtract(b *testing.B) {
	if db == nil {
		b.Skip("MariaDB not installed")
	}
	rows := 1000000
	if v, err := strconv.Atoi(os.Getenv("KANTAMIG_BENCH_ROWS")); err == nil {
		rows = v
	}
	err := db.Exec(`DROP TABLE IF EXISTS bench_asiakirja;
		CREATE TABLE bench_asiakirja (id VARCHAR(10) PRIMARY KEY, asnro VARCHAR(10), asia_id VARCHAR(10), tyyppi VARCHAR(6),
		  palvelu VARCHAR(4), laadittu DATETIME, laatija VARCHAR(60) CHARACTER SET latin1, teksti TEXT CHARACTER SET latin1)
		  DEFAULT CHARSET=utf8mb4;
		INSERT INTO bench_asiakirja SELECT CONCAT('D', LPAD(seq, 8, '0')), CONCAT('A', LPAD(seq DIV 4, 7, '0')),
		  CONCAT('S', LPAD(seq DIV 3, 7, '0')), 'SUUN', 'LP', '2015-01-01' + INTERVAL (seq MOD 3000) DAY + INTERVAL (seq MOD 600) MINUTE,
		  'Työntekijä Tiina', REPEAT('Kotikäynnillä todettiin, että arki sujuu tuettuna. ', 8)
		  FROM seq_1_to_` + strconv.Itoa(rows) + `;`)
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("KANTAMIG_TEST_DSN", db.DSN)
	query := "SELECT id, asnro, asia_id, tyyppi, palvelu, laadittu, laatija, teksti FROM bench_asiakirja WHERE laadittu < :cutoff"
	for b.Loop() {
		start := time.Now()
		cli := exec.Command("mariadb", "--no-defaults", "--socket="+db.Socket, "-uroot", "sosiaalitoimi", "--quick", "-N", "-e",
			"SELECT id, asnro, asia_id, tyyppi, palvelu, laadittu, laatija, teksti FROM bench_asiakirja WHERE laadittu < '2024-01-01'")
		cli.Stdout = io.Discard
		if err := cli.Run(); err != nil {
			b.Fatal(err)
		}
		cliRate := float64(rows) / time.Since(start).Seconds()

		start = time.Now()
		src, err := Open(sqlSpec(query))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		var peak uint64
		var ms runtime.MemStats
		for {
			_, err := src.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
			if n%100000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		src.Close()
		ourRate := float64(n) / time.Since(start).Seconds()
		b.ReportMetric(float64(n), "rows")
		b.ReportMetric(ourRate, "rows/s")
		b.ReportMetric(cliRate, "client-rows/s")
		b.ReportMetric(ourRate/cliRate, "ratio")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
}
