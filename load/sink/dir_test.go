package sink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func delivery(oid string) *Delivery {
	return &Delivery{OID: oid, SetID: oid, Version: 1, Kind: "client-document", ServiceRequest: "SP17",
		Document: []byte("<doc " + oid + "/>"), Frame: []byte("<frame " + oid + "/>")}
}

func manifest(t *testing.T, dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestDirDeliversOnceAndRepairsAfterACrash(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, oid := range []string{"1.2.3.1", "1.2.3.2"} {
		if r, err := d.Deliver(ctx, delivery(oid)); err != nil || r.Duplicate {
			t.Fatalf("%s: %v %v", oid, r, err)
		}
	}
	if r, err := d.Deliver(ctx, delivery("1.2.3.1")); err != nil || !r.Duplicate {
		t.Errorf("re-delivery: %v %v, want a duplicate no-op", r, err)
	}
	d.Close()
	if n := len(manifest(t, dir)); n != 2 {
		t.Fatalf("manifest has %d lines, want 2", n)
	}
	// A crash left a torn manifest line, and a document written but not listed.
	f, _ := os.OpenFile(filepath.Join(dir, "manifest.jsonl"), os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString(`{"seq":3,"oid":"1.2.3.3","doc`)
	f.Close()
	shard := shardOf("1.2.3.3")
	os.MkdirAll(filepath.Join(dir, "documents", shard), 0o700)
	os.WriteFile(filepath.Join(dir, "documents", shard, "1.2.3.3.xml"), []byte("<doc 1.2.3.3/>"), 0o600)
	d, err = OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if r, err := d.Deliver(ctx, delivery("1.2.3.3")); err != nil || r.Duplicate {
		t.Fatalf("finishing the crashed delivery: %v %v", r, err)
	}
	lines := manifest(t, dir)
	if len(lines) != 3 || !strings.Contains(lines[2], `"oid":"1.2.3.3"`) || !strings.Contains(lines[2], `"seq":3`) {
		t.Errorf("manifest after repair:\n%s", strings.Join(lines, "\n"))
	}
	fi, _ := os.Stat(filepath.Join(dir, "manifest.jsonl"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode %v", fi.Mode().Perm())
	}
}
