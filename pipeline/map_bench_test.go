package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/mapping"
)

// BenchmarkMap maps the sample system's records (read once, before the
// timer) onto the national model, entity by entity: the stage benchmark of
// mapping (here, where the mapping loads with the national code sets).
func BenchmarkMap(b *testing.B) {
	m, _, err := Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
	if err != nil {
		b.Fatal(err)
	}
	read := func(em *mapping.EntityMapping) []extract.Record {
		src, err := extract.Open(em.Source)
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		recs, err := extract.ReadAll(context.Background(), src)
		if err != nil {
			b.Fatal(err)
		}
		return recs
	}
	for _, c := range []struct {
		entity string
		ems    []*mapping.EntityMapping
		apply  func(*mapping.EntityMapping, extract.Record) *mapping.Outcome
	}{
		{"client", m.Of(kanta.EntityClient), func(em *mapping.EntityMapping, r extract.Record) *mapping.Outcome { _, o := em.Client(r); return o }},
		{"case", m.Of(kanta.EntityCase), func(em *mapping.EntityMapping, r extract.Record) *mapping.Outcome { _, o := em.Case(r); return o }},
		{"document", m.Of(kanta.EntityDocument), func(em *mapping.EntityMapping, r extract.Record) *mapping.Outcome { _, o := em.Document(r); return o }},
	} {
		em := c.ems[0]
		recs := read(em)
		b.Run(c.entity, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, r := range recs {
					c.apply(em, r)
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
