package sink_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kantamig/kantamig/archive"
	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/load/sink"
	"github.com/kantamig/kantamig/load/sink/sinktest"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// An archive package on disk passes the sink suite.
func TestDirConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		Open: func(t *testing.T, _ sinktest.Faults, retry sink.Retry) (sink.Sink, func() []string) {
			pkg := filepath.Join(t.TempDir(), "package")
			s, err := sink.Open("dir:"+pkg, sink.Options{Retry: retry})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.(sink.Bound).Bind("suite", false); err != nil {
				t.Fatal(err)
			}
			return s, func() []string { return manifestOIDs(t, pkg) }
		},
		Delivery: func(t *testing.T, i int) *sink.Delivery { return signedRelationship(t, i) },
	})
}

// The archive interface, with archive-sim on the far side, passes the sink
// suite: its 503s are transient, its 422s permanent.
func TestKantaConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		Open: func(t *testing.T, f sinktest.Faults, retry sink.Retry) (sink.Sink, func() []string) {
			dir := t.TempDir()
			files, err := archive.EnsureTLSFiles(filepath.Join(dir, "tls"))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := archive.NewServer(filepath.Join(dir, "sim"), archive.Faults{ErrorRate: f.TransientRate, RefuseOID: f.Refuse, Seed: 7}, archive.Config{})
			if err != nil {
				t.Fatal(err)
			}
			hs, ln, err := archive.Listen("127.0.0.1:0", srv, files)
			if err != nil {
				t.Fatal(err)
			}
			go hs.Serve(ln)
			t.Cleanup(func() { hs.Close(); srv.Close() })
			s, err := sink.Open("kanta:https://"+ln.Addr().String(), sink.Options{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey, Retry: retry})
			if err != nil {
				t.Fatal(err)
			}
			return s, func() []string { return archivedOIDs(t, filepath.Join(dir, "sim")) }
		},
		Delivery:  func(t *testing.T, i int) *sink.Delivery { return signedRelationship(t, i) },
		Transient: true,
		Permanent: true,
	})
}

var (
	once   sync.Once
	tr     *transform.Transformer
	signer *sign.Signer
)

// signedRelationship is the signed client relationship document of the
// i-th test person, with its frame: what the archive takes in any order.
func signedRelationship(t *testing.T, i int) *sink.Delivery {
	t.Helper()
	once.Do(func() {
		tr = transformtest.NewTransformer(t, testenv.Sosmeta())
		var err error
		if signer, err = sign.NewThrowawaySigner("1.2.246.10.99999991.10.0", "Kuvitelman hyvinvointialue"); err != nil {
			t.Fatal(err)
		}
	})
	out := transformtest.Relationship(t, tr, "1.2.246.10.99999991.95.7", i)
	signed, err := signer.Sign(out.XML, out.OID, out.BodyDigest)
	if err != nil {
		t.Fatal(err)
	}
	frame := tr.Frame(out, transform.FrameParams{MessageRoot: "1.2.246.10.99999991.95.7.4", MessageNumber: out.OID[strings.LastIndexByte(out.OID, '.')+1:], ProcessingCode: "T"}, signed)
	return &sink.Delivery{OID: out.OID, SetID: out.SetID, Version: out.Version, Kind: string(out.Kind), ServiceRequest: out.ServiceRequest(),
		ClientKey: "A" + out.OID, Document: signed, Frame: sink.FixedFrame(frame)}
}

func manifestOIDs(t *testing.T, pkg string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(pkg, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var oids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e sink.ManifestEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("manifest line %q: %v", sc.Text(), err)
		}
		oids = append(oids, e.OID)
	}
	return oids
}

func archivedOIDs(t *testing.T, sim string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(sim, "documents", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var oids []string
	for _, n := range names {
		if base := filepath.Base(n); !strings.HasSuffix(base, ".frame.xml") {
			oids = append(oids, strings.TrimSuffix(base, ".xml"))
		}
	}
	return oids
}
