package adopt

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/kantamig/kantamig/load/sink"
)

// manifest is a package's manifest in memory, for readListing.
type manifest struct {
	sink.Adoptable
	n int
}

func (l manifest) Listed(fn func(sink.ManifestEntry) error) error {
	for i := range l.n {
		oid := fmt.Sprintf("1.2.246.10.99999991.95.1.3.%d", i+1)
		e := sink.ManifestEntry{Seq: int64(i + 1), OID: oid, SetID: oid, Version: 1, Kind: "client-document", ServiceRequest: "SP17",
			Document: "documents/ab/" + oid + ".xml", Frame: "frames/ab/" + oid + ".xml", Delivered: "2026-12-06T19:00:00.123456789Z",
			Source: fmt.Sprintf("%032x", i), Content: fmt.Sprintf("%064x", i)}
		if i%3 == 0 {
			e.Kind, e.EntityOID = "client-relationship", fmt.Sprintf("1.2.246.10.99999991.95.1.1.%d", i+1)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// What matching holds of a package's manifest per document, which the
// README states: it is held whole while an adoption matches.
func TestListingMemoryPerDocument(t *testing.T) {
	const n = 100000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := readListing(manifest{n: n})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes a document (%d documents)", per, len(ix.entries))
	if per > 300 {
		t.Errorf("%.0f bytes a document held while matching, over the README's 300", per)
	}
	runtime.KeepAlive(ix)
}
