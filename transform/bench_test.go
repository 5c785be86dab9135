package transform_test

import (
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// BenchmarkDocument builds a typical client document: a structured plan
// (15007) with about 5 KB of legacy text.
func BenchmarkDocument(b *testing.B) {
	tr := transformtest.NewTransformer(b, testenv.Sosmeta())
	doc := transformtest.PlanDocument()
	doc.Text = strings.Repeat("Kotikäynnillä todettiin, että arki sujuu tuettuna. Sovittiin seuraavasta tapaamisesta. ", 60)[:5000]
	ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1", Relationship: "1.2.246.10.99999991.95.1.1.1"}
	if _, err := tr.Document(doc, ids); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := tr.Document(doc, ids)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out.XML)
	}
	b.ReportMetric(float64(size), "bytes/doc")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkDocumentDisplayOnly is the same without a structured form.
func BenchmarkDocumentDisplayOnly(b *testing.B) {
	tr := transformtest.NewTransformer(b, testenv.Sosmeta())
	doc := transformtest.PlanDocument()
	doc.Type, doc.SpecificType = "17", ""
	doc.Text = strings.Repeat("Asiakas kertoi tilanteestaan puhelimitse. ", 120)[:5000]
	ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Document(doc, ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkFrame wraps a built 15007 plan (5 KB of text) in its message frame,
// as each signing worker does after signing.
func BenchmarkFrame(b *testing.B) {
	tr := transformtest.NewTransformer(b, testenv.Sosmeta())
	doc := transformtest.PlanDocument()
	doc.Text = strings.Repeat("Kotikäynnillä todettiin, että arki sujuu tuettuna. ", 100)[:5000]
	ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1", Relationship: "1.2.246.10.99999991.95.1.1.1"}
	out, err := tr.Document(doc, ids)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if f := tr.Frame(out, transform.FrameParams{}, out.XML); len(f) < len(out.XML) {
			b.Fatal("frame shorter than its document")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
