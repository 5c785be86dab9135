package sign

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

func sampleFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(testenv.Shared(), "reference", "kanta-samples", "*.signed.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no signed samples in %s/reference/kanta-samples: %v", testenv.Shared(), err)
	}
	return files
}

// (a) Our verifier accepts every signature of the archive's real samples.
func TestVerifyKantaSamples(t *testing.T) {
	for _, f := range sampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		results, err := Verify(data)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Errorf("%s signature %s: %v", filepath.Base(f), r.ID, r.Err)
			}
		}
		t.Logf("%s: %d signature(s) valid", filepath.Base(f), len(results))
	}
}

// (a) ... and rejects them after one character of the body or a timestamp changes.
func TestVerifyKantaSamplesTampered(t *testing.T) {
	for _, f := range sampleFiles(t) {
		data, _ := os.ReadFile(f)
		for _, where := range []string{"body", "timestamp"} {
			tampered := tamper(t, data, where)
			results, err := Verify(tampered)
			if err != nil {
				continue // unparseable counts as rejected
			}
			for i, r := range results {
				// The body is under every signature; a timestamp only under its own (the first).
				if r.Err == nil && (where == "body" || i == 0) {
					t.Errorf("%s: signature %s still valid after changing the %s", filepath.Base(f), r.ID, where)
				}
				if r.Err != nil && where == "timestamp" && i > 0 {
					t.Errorf("%s: signature %s broken by another signature's timestamp: %v", filepath.Base(f), r.ID, r.Err)
				}
			}
		}
	}
}

// tamper changes one character: in the Base64 of the display form, or a digit of the first timestamp.
func tamper(t *testing.T, data []byte, where string) []byte {
	t.Helper()
	out := bytes.Clone(data)
	var at int
	switch where {
	case "body":
		i := bytes.Index(out, []byte(`representation="B64">`))
		at = i + len(`representation="B64">`) + 40
		for out[at] == '\n' || out[at] == '\r' || out[at] == '\t' || out[at] == ' ' {
			at++
		}
	case "timestamp":
		i := bytes.Index(out, []byte("signatureTimestamp ID="))
		at = i + bytes.IndexByte(out[i:], '>') + 3 // inside the year
	}
	if out[at] == 'A' {
		out[at] = 'B'
	} else if out[at] >= '0' && out[at] <= '8' {
		out[at]++
	} else {
		out[at] = 'A'
	}
	return out
}
