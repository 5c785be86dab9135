package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/token"
)

// Every document the dry-run signs verifies, and the dry-run signs every
// document it generates.
func TestDryRunSignsEveryDocument(t *testing.T) {
	dir := t.TempDir()
	rep := dryRunSmall(t, Options{DocumentsDir: dir, Workers: 3})
	if rep.DocumentsSigned != rep.DocumentsGenerated || rep.DocumentsSigned == 0 {
		t.Fatalf("signed %d of %d generated documents", rep.DocumentsSigned, rep.DocumentsGenerated)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) != rep.DocumentsSigned {
		t.Fatalf("%d files written, %d signed", len(files), rep.DocumentsSigned)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		results, err := sign.Verify(data)
		if err != nil || len(results) != 1 || results[0].Err != nil {
			t.Fatalf("%s: %v %+v", filepath.Base(f), err, results)
		}
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", filepath.Base(f), fi.Mode().Perm())
		}
	}
}

// A token that fails in the middle of a run stops it after the signatures in
// flight settle, and no partly signed document is ever written.
func TestTokenFailureMidRunStopsCleanly(t *testing.T) {
	testenv.Require(t, "softhsm2-util", "apt-get install softhsm2 opensc")
	tokDir := t.TempDir()
	const pin = "2468-pipeline"
	if err := token.SetUpTestToken(tokDir, pin); err != nil {
		t.Fatal(err)
	}
	tok, err := token.Open(token.Config{Module: token.DefaultModule, TokenLabel: "kantamig", KeyLabel: "org-signing", PIN: pin, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	signer, err := sign.NewSigner(tok.Key, tok.Cert)
	if err != nil {
		t.Fatal(err)
	}
	docs := t.TempDir()
	// Pull the token's files away once 300 documents are out: the next
	// signature fails inside SoftHSM (CKR_OBJECT_HANDLE_INVALID).
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if n, _ := filepath.Glob(filepath.Join(docs, "*.xml")); len(n) >= 300 {
				os.RemoveAll(filepath.Join(tokDir, "tokens"))
				return
			}
		}
	}()
	defer close(stop)
	m, schemas, err := Load(filepath.Join("..", "mappings", "sosiaalitoimi-classic.yaml"), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(m, schemas, Options{DocumentsDir: docs, Signer: signer, SignerName: "test token", Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() { _, err := r.DryRun(context.Background()); done <- err }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not stop after the token failed")
	}
	var te *sign.TokenError
	if !errors.As(err, &te) {
		t.Fatalf("want a TokenError, got %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(docs, "*.xml")) // the documents; their frames are in frames/
	// The token went at 300; what was in flight then may still land (the
	// window is two documents per worker, plus what the watcher's 2 ms let
	// through), nothing after the failure.
	if len(files) < 300 || len(files) > 300+100 || len(files) >= r.rep.DocumentsGenerated {
		t.Errorf("%d files written (token removed at 300, generated %d): the run did not stop at the failure", len(files), r.rep.DocumentsGenerated)
	}
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), ".tmp") {
			t.Errorf("temporary file left behind: %s", f)
			continue
		}
		data, _ := os.ReadFile(f)
		if results, err := sign.Verify(data); err != nil || results[0].Err != nil {
			t.Errorf("%s is not a complete signed document: %v", filepath.Base(f), err)
		}
	}
	if r.rep.DocumentsSigned != len(files) {
		t.Errorf("report counts %d signed, %d written", r.rep.DocumentsSigned, len(files))
	}
	t.Logf("token failed after %d documents: %v", len(files), err)
}
