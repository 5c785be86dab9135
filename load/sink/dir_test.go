package sink

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func delivery(oid string) *Delivery {
	return &Delivery{OID: oid, SetID: oid, Version: 1, Kind: "client-document", ServiceRequest: "SP17",
		Document: []byte("<doc " + oid + "/>"), Frame: FixedFrame([]byte("<frame " + oid + "/>"))}
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
	os.MkdirAll(filepath.Join(dir, "frames", shard), 0o700)
	os.WriteFile(filepath.Join(dir, "frames", shard, "1.2.3.3.xml"), []byte("<frame 1.2.3.3/>"), 0o600)
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

// The package knows every OID it lists, not only the last lines: a document
// listed 30,000 lines ago is a duplicate (its files are there, so the
// manifest is indexed), a document whose frame is there but that no line
// lists is written and listed, and a new one is listed after the rest with
// the next sequence number.
func TestDirKnowsEveryListedOID(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 30000; i++ {
		fmt.Fprintf(&b, `{"seq":%d,"oid":"1.2.3.%d","document":"documents/00/1.2.3.%d.xml"}`+"\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.jsonl"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	listed := []string{"1.2.3.1", "1.2.3.15000", "1.2.3.30000"}
	for _, oid := range append(listed, "1.2.3.40000") { // the last one written by a crashed run, never listed
		if err := os.WriteFile(filepath.Join(dir, "frames", shardOf(oid), oid+".xml"), []byte("<frame/>"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, oid := range listed {
		r, err := d.Deliver(context.Background(), delivery(oid))
		if err != nil || !r.Duplicate {
			t.Errorf("%s: %+v %v, want a duplicate", oid, r, err)
		}
	}
	if d.index == nil {
		t.Error("the manifest was not indexed when a listed document came again")
	}
	if r, err := d.Deliver(context.Background(), delivery("1.2.3.40000")); err != nil || r.Duplicate {
		t.Fatalf("a document written but never listed: %+v %v, want it listed", r, err)
	}
	if r, err := d.Deliver(context.Background(), delivery("1.2.3.30001")); err != nil || r.Duplicate {
		t.Fatalf("new document: %+v %v", r, err)
	}
	lines := manifest(t, dir)
	if len(lines) != 30002 || !strings.Contains(lines[30000], `"oid":"1.2.3.40000"`) || !strings.Contains(lines[30001], `"seq":30002`) {
		t.Errorf("%d lines, last %s", len(lines), lines[len(lines)-1])
	}
}

// A package is written by one process at a time, belongs to the run that
// made it, and is taken over only when asked; leftover temporary files are
// removed when it is opened.
func TestDirIsLockedBoundAndAdopted(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var locked *ErrPackageLocked
	if _, err := OpenDir(dir); !errors.As(err, &locked) {
		t.Fatalf("a second writer: %v", err)
	}
	if err := d.Bind("run-a", false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Deliver(context.Background(), delivery("1.2.3.1")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".tmp", "w-left-by-a-crash"), []byte("x"), 0o600)
	d.Close()

	d, err = OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if left, _ := os.ReadDir(filepath.Join(dir, ".tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if err := d.Bind("run-a", false); err != nil {
		t.Errorf("the same run: %v", err)
	}
	var owned *ErrPackageOwned
	if err := d.Bind("run-b", false); !errors.As(err, &owned) || owned.Documents != 1 || !strings.Contains(err.Error(), "--adopt-package") {
		t.Fatalf("another run: %v", err)
	}
	if err := d.Bind("run-b", true); err != nil {
		t.Fatal(err)
	}
	if r, err := d.Deliver(context.Background(), delivery("1.2.3.1")); err != nil || !r.Duplicate {
		t.Errorf("after adoption, a document the package holds: %+v %v", r, err)
	}
	if err := d.Bind("run-a", false); !errors.As(err, &owned) {
		t.Errorf("the first run, after another adopted the package: %v", err)
	}
}

// A package that has documents but no package.json (made before packages
// were bound, or by hand) is not taken for this run's.
func TestDirWithoutIDButWithDocumentsIsRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "manifest.jsonl"), []byte(`{"seq":1,"oid":"1.2.3.1"}`+"\n"), 0o600)
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var owned *ErrPackageOwned
	if err := d.Bind("run-a", false); !errors.As(err, &owned) || owned.Owner != "" {
		t.Fatalf("got %v", err)
	}
}

// BenchmarkDirSend: the package sink's share of a run, per document of 12 KB
// with its frame, sent as the deliverer sends them (Send now, wait later,
// acknowledged in order), with the group commit making them durable.
func BenchmarkDirSend(b *testing.B) {
	d, err := OpenDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	doc := []byte("<ClinicalDocument>" + strings.Repeat("x", 12000) + "</ClinicalDocument>")
	waits := make(chan func() (Receipt, error), 1024)
	done := make(chan error)
	go func() {
		var first error
		for w := range waits {
			if _, err := w(); err != nil && first == nil {
				first = err
			}
		}
		done <- first
	}()
	b.SetBytes(int64(2 * len(doc)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		oid := fmt.Sprintf("1.2.246.10.99999991.95.1.3.%d", i)
		waits <- d.Send(&Delivery{OID: oid, SetID: oid, Version: 1, Kind: "client-document", ServiceRequest: "SP17",
			Document: doc, Frame: FixedFrame(doc)})
	}
	close(waits)
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
}

// A run that never meets a document it already wrote never indexes the
// manifest: memory does not grow with the package.
func TestDirIndexesOnlyWhenNeeded(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := range 50 {
		if r, err := d.Deliver(context.Background(), delivery(fmt.Sprintf("1.2.3.%d", i))); err != nil || r.Duplicate {
			t.Fatalf("%d: %+v %v", i, r, err)
		}
	}
	if d.index != nil {
		t.Error("the manifest was indexed though no document came twice")
	}
	if r, err := d.Deliver(context.Background(), delivery("1.2.3.7")); err != nil || !r.Duplicate {
		t.Errorf("again: %+v %v, want a duplicate", r, err)
	}
}
