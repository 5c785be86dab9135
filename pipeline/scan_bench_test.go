package pipeline

import (
	"bytes"
	"context"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/pdfa"
	"github.com/kantamig/kantamig/state/sqlite"
)

// scanFixture is the small fixture with one document whose body is a TIFF
// scan of about size bytes, a grey page of noise, which no compression
// makes smaller: the PDF/A is as large as the scan.
func scanFixture(b *testing.B, size int) string {
	side := 1
	for side*side < size {
		side++
	}
	return scansFixture(b, [][]byte{noiseTIFF(b, rand.New(rand.NewPCG(1, 2)), side)})
}

// noiseTIFF is an uncompressed grey TIFF of side × side pixels of noise.
func noiseTIFF(b *testing.B, r *rand.Rand, side int) []byte {
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	var tif bytes.Buffer
	if err := tiff.Encode(&tif, img, &tiff.Options{Compression: tiff.Uncompressed}); err != nil {
		b.Fatal(err)
	}
	return tif.Bytes()
}

// scansFixture is the small fixture with one document of one case for each
// scan, its body the scan's TIFF file, the mapping carrying scans as PDF/A.
func scansFixture(b *testing.B, scans [][]byte) string {
	return tempMapping(b, func(dir string) {
		var docs strings.Builder
		docs.WriteString(`<?xml version="1.0"?><x>`)
		for i, tif := range scans {
			n := strconv.Itoa(i + 1)
			name := "scan" + n + ".tif"
			if err := os.WriteFile(filepath.Join(dir, name), tif, 0o600); err != nil {
				b.Fatal(err)
			}
			docs.WriteString(`<d id="D` + n + `"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2012-05-` + strconv.Itoa(10+i) + ` 10:00</w><txt>` + name + `</txt></d>`)
		}
		docs.WriteString(`</x>`)
		if err := os.WriteFile(filepath.Join(dir, "docs.xml"), []byte(docs.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		file := filepath.Join(dir, "valid.yaml")
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		text := strings.Replace(string(data), "    text: txt\n", "    text: {from: txt, file_root: \".\"}\n    text_format: {value: tiff}\n", 1)
		text = strings.Replace(text, "display_only_documents: true\n", "display_only_documents: true\npdfa_documents: true\n", 1)
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
	})
}

// rssKiB reads a line of /proc/self/status (VmRSS, VmHWM) in KiB.
func rssKiB(b *testing.B, field string) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// BenchmarkScanMemory runs a migration of one document whose body is a
// TIFF scan of 5 and of 50 MB into a package: converted to PDF/A at
// staging, kept in the store, signed, framed and written at delivery. It
// reports the process's peak resident memory above what it held before
// (the tools run as processes of their own and are not in it), and that
// peak as a multiple of the scan's size.
//
//	go test ./pipeline -run '^$' -bench BenchmarkScanMemory -benchtime 1x
func BenchmarkScanMemory(b *testing.B) {
	if _, err := pdfa.Find(); err != nil {
		testenv.Missing(b, err.Error())
	}
	for _, mb := range []int{5, 50} {
		b.Run(strconv.Itoa(mb)+"MB", func(b *testing.B) {
			size := mb << 20
			file := scanFixture(b, size)
			m, schemas, err := Load(file, testenv.Sosmeta())
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				st, err := sqlite.Open(filepath.Join(dir, "run.db"))
				if err != nil {
					b.Fatal(err)
				}
				sk, err := sink.Open("dir:"+filepath.Join(dir, "package"), sink.Options{})
				if err != nil {
					b.Fatal(err)
				}
				r, err := Prepare(m, schemas, Options{Store: st, Workers: 2, MaxDocumentBytes: 4 * size, MaxMessageBytes: 8 * size})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				debug.FreeOSMemory()
				before := rssKiB(b, "VmRSS")
				// Reset the peak to what is resident now (Linux: clear_refs 5).
				if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
					b.Skipf("cannot reset the peak: %v", err)
				}
				rep, err := r.Run(context.Background(), RunOptions{Sink: sk})
				if err != nil {
					b.Fatal(err)
				}
				peak := rssKiB(b, "VmHWM")
				if rep.Inferences[kanta.InferPDFA] != 1 || rep.DocumentsDelivered == 0 {
					b.Fatalf("the scan was not delivered as PDF/A: %d delivered, rejects %v", rep.DocumentsDelivered, rep.Rejects)
				}
				sk.Close()
				st.Close()
				b.ReportMetric(float64(peak-before)/1024, "peak-MiB")
				b.ReportMetric(float64(peak-before)*1024/float64(size), "peak/scan")
			}
		})
	}
}

// BenchmarkScansStaged stages 8 TIFF scans (each made PDF/A and validated
// by the tools, as processes of their own) with one builder and with two:
// the conversions run beside staging, so on two cores two builders take
// about half the time.
//
//	go test ./pipeline -run '^$' -bench BenchmarkScansStaged -benchtime 1x
func BenchmarkScansStaged(b *testing.B) {
	if _, err := pdfa.Find(); err != nil {
		testenv.Missing(b, err.Error())
	}
	const n = 8
	r := rand.New(rand.NewPCG(3, 4))
	scans := make([][]byte, n)
	for i := range scans {
		scans[i] = noiseTIFF(b, r, 512)
	}
	file := scansFixture(b, scans)
	m, schemas, err := Load(file, testenv.Sosmeta())
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r, err := Prepare(m, schemas, Options{Workers: workers, WorkDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := r.DryRun(context.Background())
				r.Close()
				if err != nil {
					b.Fatal(err)
				}
				if rep.Inferences[kanta.InferPDFA] != n {
					b.Fatalf("%d scans carried as PDF/A, want %d; rejects %v", rep.Inferences[kanta.InferPDFA], n, rep.Rejects)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "scans/s")
		})
	}
}
