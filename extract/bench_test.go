package extract

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkExtract reads each committed sample source end to end (the stage
// benchmark of extraction; make bench runs it): records per second and bytes
// per second of the file.
func BenchmarkExtract(b *testing.B) {
	for _, spec := range []Spec{
		{Kind: "csv", File: "../samples/legacy/asiakkaat.csv", Delimiter: ";", Encoding: "utf-8"},
		{Kind: "xlsx", File: "../samples/legacy/asiat.xlsx", Sheet: "Asiat"},
		{Kind: "xml", File: "../samples/legacy/asiakirjat.xml", Record: "/vienti/asiakirjat/asiakirja"},
	} {
		b.Run(spec.Kind, func(b *testing.B) {
			fi, err := os.Stat(spec.File)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			var records int
			for b.Loop() {
				src, err := Open(spec)
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := src.Next(context.Background())
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					records++
				}
				src.Close()
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkXMLNesting reads records nesting 16, 64 and 250 levels deep, the
// same number of elements in each: ns/element stays flat when reading is
// linear in the depth.
func BenchmarkXMLNesting(b *testing.B) {
	for _, depth := range []int{16, 64, 250} {
		b.Run(strconv.Itoa(depth), func(b *testing.B) {
			const elements = 1 << 16
			var text strings.Builder
			text.WriteString("<x>")
			for n := 0; n < elements; n += depth {
				text.WriteString(`<d id="1">` + strings.Repeat("<e a=\"1\">", depth) + strings.Repeat("</e>", depth) + "</d>")
			}
			text.WriteString("</x>")
			path := filepath.Join(b.TempDir(), "deep.xml")
			if err := os.WriteFile(path, []byte(text.String()), 0o600); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				src, err := Open(Spec{Kind: "xml", File: path, Record: "/x/d"})
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := src.Next(context.Background()); err != nil {
						break
					}
				}
				src.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*elements), "ns/element")
		})
	}
}
