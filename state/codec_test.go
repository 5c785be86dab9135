package state_test

import (
	"bytes"
	"encoding/gob"
	"maps"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// A model comes back from the store as the same document: what the
// transform builds from the decoded model is byte for byte what it builds
// from the original (the loader's hash check depends on it), also for a
// model an earlier store wrote with gob (a run resumed with a newer
// kantamig). Neither encoding keeps a time's location name, only its
// instant and offset, which is all the transform reads.
func TestModelRoundTrip(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	doc := transformtest.PlanDocument()
	doc.Text = "Väinö <b>&</b> \"lainaus\" \u2028 rivi\nrivi\ttab"
	doc.Structured = map[string]string{"suunnitelma.tavoite": "Arjen <sujuminen> & \"tuki\""}
	ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1", Relationship: "1.2.246.10.99999991.95.1.1.1"}
	want, err := tr.Document(doc, ids)
	if err != nil {
		t.Fatal(err)
	}
	data, err := state.Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	if err := gob.NewEncoder(&old).Encode(doc); err != nil {
		t.Fatal(err)
	}
	for name, stored := range map[string][]byte{"json": data, "gob of an earlier store": old.Bytes()} {
		var got kanta.Document
		if err := state.Decode(stored, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Text != doc.Text || !got.DrawnUp.Equal(doc.DrawnUp) || !maps.Equal(got.Structured, doc.Structured) {
			t.Errorf("%s: model changed: text %q, drawn up %v, structured %v", name, got.Text, got.DrawnUp, got.Structured)
		}
		out, err := tr.Document(got, ids)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(out.XML, want.XML) {
			t.Errorf("%s: the document built from the decoded model differs from the original's", name)
		}
	}
}

// A document carrying bytes (a PDF/A) is stored with them as they are
// after its JSON: it comes back the same and builds the same document,
// the store holds the bytes once (not a third more in Base64), and a
// stored model cut short is an error, not a shorter body.
func TestABodyIsStoredAsItIs(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	doc := transformtest.PDFADocument()
	doc.Body = append(bytes.Clone(transformtest.PDFA), bytes.Repeat([]byte{0xff, 0x00, '"', '\\'}, 4096)...)
	ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.4", Case: "1.2.246.10.99999991.95.1.2.1"}
	want, err := tr.Document(doc, ids)
	if err != nil {
		t.Fatal(err)
	}
	data, err := state.Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, doc.Body) || len(data) > len(doc.Body)+2048 {
		t.Errorf("the %d-byte body is not stored as it is at the end of the %d-byte model", len(doc.Body), len(data))
	}
	var got kanta.Document
	if err := state.Decode(data, &got); err != nil {
		t.Fatal(err)
	}
	out, err := tr.Document(got, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, doc.Body) || !bytes.Equal(out.XML, want.XML) || got.BodySHA256 != doc.BodySHA256 {
		t.Error("the document built from the decoded model differs from the original's")
	}
	var cut kanta.Document
	if err := state.Decode(data[:40], &cut); err == nil {
		t.Error("a model cut inside its JSON decoded")
	}
	var notADocument struct{ Title string }
	if err := state.Decode(data, &notADocument); err == nil {
		t.Error("a body was decoded into a model that takes none")
	}
}

// Decoding the model is on every record's path (resolving and planning).
func BenchmarkModelDecode(b *testing.B) {
	data, err := state.Encode(transformtest.PlanDocument())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var d kanta.Document
		if err := state.Decode(data, &d); err != nil {
			b.Fatal(err)
		}
	}
}
