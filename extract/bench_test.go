package extract

import (
	"context"
	"io"
	"os"
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
