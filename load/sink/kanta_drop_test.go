package sink

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/kantamig/kantamig/archive"
)

// A connection dropped after the archive has answered is a transient fault,
// sent again without first asking the server whether it still trusts the
// client's certificate: that probe waited a second on every drop, and at 5%
// dropped connections delivery ran at a quarter of its rate. A drop before
// any answer is still probed, so that a certificate the server refuses is
// told from a fault.
func TestADroppedConnectionAfterAnAnswerIsNotProbed(t *testing.T) {
	files, err := archive.EnsureTLSFiles(filepath.Join(t.TempDir(), "tls"))
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 1 { // the first, the fourth, ...: dropped without an answer
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.Write([]byte(`{"result":"accepted"}`))
	})
	hs, ln, err := archive.Listen("127.0.0.1:0", handler, files)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	sk, err := Open("kanta:https://"+ln.Addr().String(), Options{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	k := sk.(interface{ Unwrap() Sink }).Unwrap().(*Kanta)
	for i := range 10 {
		if _, err := sk.Deliver(context.Background(), &Delivery{OID: fmt.Sprint("1.2.3.", i), Document: []byte("<x/>"), Frame: FixedFrame([]byte("<f/>"))}); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
	}
	if drops := (n.Load() + 2) / 3; drops < 4 {
		t.Fatalf("only %d drops", drops)
	}
	if got := k.probes.Load(); got != 1 {
		t.Errorf("%d probes for %d dropped connections, want 1 (the drop before the first answer)", got, (n.Load()+2)/3)
	}
}
