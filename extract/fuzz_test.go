package extract

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// drain reads a source to its end; every record it yields has a locator.
func drain(t *testing.T, spec Spec) {
	src, err := Open(spec)
	if err != nil {
		return // a refusal to open is a fine answer
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for n := 0; ; n++ {
		rec, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("reading did not end")
		}
		if err != nil {
			return
		}
		if rec.Locator == "" {
			t.Fatalf("record %d has no locator", n)
		}
	}
}

func fuzzFile(f *testing.F, name string, seeds []string, spec func(path string) Spec) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		drain(t, spec(path))
	})
}

// FuzzCSV: whatever the file holds, reading it ends in records, an error or
// the end, never a panic or a hang.
func FuzzCSV(f *testing.F) {
	fuzzFile(f, "f.csv", []string{"", "id;nimi\n1;a\n", "id;nimi\n1;\"a\n", "id;nimi\n1;a;b\n2\n", "\xef\xbb\xbfid\n\"x\"\"y\"\n", "id,n\n1,M\xe4\n"},
		func(path string) Spec { return Spec{Kind: "csv", File: path, Delimiter: ";", Encoding: "windows-1252"} })
}

// FuzzXML: the same for XML exports, including the record-level check.
func FuzzXML(f *testing.F) {
	fuzzFile(f, "f.xml", []string{"", "<x><d id=\"1\"><t>a</t></d><D/></x>", "<?xml version=\"1.0\" encoding=\"windows-1252\"?><x><d>\xe4</d></x>", "<x><d><d></d></x>", "<x><d a='1' a='2'/></x>"},
		func(path string) Spec { return Spec{Kind: "xml", File: path, Record: "/x/d"} })
}
