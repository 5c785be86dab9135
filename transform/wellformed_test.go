package transform

import (
	"errors"
	"testing"
)

// The generated document's own check of well-formedness refuses each kind
// of broken XML, and takes what is whole.
func TestCheckWellFormed(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		ok        bool
	}{
		{"whole, with prefixes", `<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:hl7fi="urn:hl7finland"><hl7fi:x a="1">t &amp; ä</hl7fi:x><y/></ClinicalDocument>`, true},
		{"an end tag closing another element", `<a><b></a></b>`, false},
		{"an end tag of another prefix", `<a><p:b></q:b></a>`, false},
		{"an element left open", `<a><b></b>`, false},
		{"an end tag with nothing open", `<a></a></b>`, false},
		{"a control character", "<a>\x01</a>", false},
		{"an unescaped ampersand", `<a>x & y</a>`, false},
		{"an attribute without quotes", `<a b=1></a>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkWellFormed([]byte(tc.doc))
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrNotWellFormed) {
				t.Errorf("taken (%v), want ErrNotWellFormed", err)
			}
		})
	}
}
