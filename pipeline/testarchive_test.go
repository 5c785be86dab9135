package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/plan"
	"github.com/kantamig/kantamig/transform"
)

// withNextOfKin adds to the small fixture a table of related persons
// (client 1's next of kin, whose identity code is given) and applies edit
// to the documents' XML.
func withNextOfKin(t *testing.T, kinCode string, editDocs func(string) string) string {
	return tempMapping(t, func(dir string) {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.WriteFile(filepath.Join(dir, "omaiset.csv"), []byte("asiakas;hetu;suku;etu;rooli\n1;"+kinCode+";Testinen;Veli;veli\n"), 0o600))
		yaml, err := os.ReadFile(filepath.Join(dir, "valid.yaml"))
		must(err)
		text := strings.Replace(string(yaml), "  asiakirjat: {kind: xml", "  omaiset: {kind: csv, file: omaiset.csv, delimiter: \";\"}\n  asiakirjat: {kind: xml", 1)
		text += "related_persons:\n  source: omaiset\n  key: [asiakas, etu]\n  fields:\n    client: asiakas\n    identity_code: hetu\n    family_name: suku\n    given_names: etu\n    role_description: rooli\n"
		must(os.WriteFile(filepath.Join(dir, "valid.yaml"), []byte(text), 0o600))
		if editDocs != nil {
			docs, err := os.ReadFile(filepath.Join(dir, "docs.xml"))
			must(err)
			must(os.WriteFile(filepath.Join(dir, "docs.xml"), []byte(editDocs(string(docs))), 0o600))
		}
	})
}

// A run to a test archive (processing code T or D) with a real person named
// anywhere — a client, a next of kin in the relationship document's
// structured form, a code typed into a document's free text — is refused
// before the first document leaves, and the refusal does not show the code.
// 150467-1490 and 020202A123C are valid codes outside the test range.
func TestRealIdentityCodesNeverReachATestArchive(t *testing.T) {
	t.Parallel()
	const testKin = "010190Y990L"
	cases := []struct {
		name, kin string
		docs      func(string) string
		clients   func(string) string
		real      string // the masked code the refusal names; "" when the run must go through
	}{
		{name: "test persons only", kin: testKin},
		{name: "a client", kin: testKin, clients: func(s string) string { return strings.Replace(s, "010190Y990M", "150467-1490", 1) }, real: "150467*****"},
		{name: "a next of kin", kin: "020202A123C", real: "020202*****"},
		{name: "a code in free text", kin: testKin, docs: func(s string) string {
			return strings.Replace(s, "<txt>Hei</txt>", "<txt>Hei, soitin sisarelle (150467-1490).</txt>", 1)
		}, real: "150467*****"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := withNextOfKin(t, c.kin, c.docs)
			if c.clients != nil {
				path := filepath.Join(filepath.Dir(file), "clients.csv")
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(c.clients(string(data))), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			m, schemas, err := Load(file, testenv.Sosmeta())
			if err != nil {
				t.Fatal(err)
			}
			for _, code := range []string{"T", "D"} {
				st, sk, dir := storeAndPackage(t)
				r, err := Prepare(m, schemas, Options{Store: st, Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				rep, err := r.Run(context.Background(), RunOptions{Sink: sk, ProcessingCode: code})
				manifest, _ := os.ReadFile(filepath.Join(dir, "package", "manifest.jsonl"))
				if c.real == "" {
					if err != nil || rep.DocumentsDelivered == 0 {
						t.Fatalf("%s: test persons only: %v, %d delivered", code, err, rep.DocumentsDelivered)
					}
					continue
				}
				var refused *plan.ErrRealPersonsToTest
				if !errors.As(err, &refused) || refused.AtDelivery || !strings.Contains(err.Error(), c.real) {
					t.Fatalf("%s: want a refusal before delivery naming %s, got %v", code, c.real, err)
				}
				if strings.Contains(err.Error(), "1490") || strings.Contains(err.Error(), "123C") {
					t.Errorf("%s: the refusal shows a code unmasked: %v", code, err)
				}
				if len(manifest) != 0 {
					t.Errorf("%s: documents were delivered:\n%s", code, manifest)
				}
			}
		})
	}
}

// The deliverer's last check reads each frame as built: a frame that names a
// real person though no record does (a fault in building it) stops the
// delivery with that document unsent, and nothing after it is sent.
func TestAFrameNamingARealPersonIsNotSent(t *testing.T) {
	t.Parallel()
	m, schemas, err := Load(withNextOfKin(t, "010190Y990L", nil), testenv.Sosmeta())
	if err != nil {
		t.Fatal(err)
	}
	st, sk, dir := storeAndPackage(t)
	r, err := Prepare(m, schemas, Options{Store: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.stage(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	framer := r.framer("T")
	built := 0
	faulty := func(out *transform.Output, signed []byte) []byte {
		frame := framer(out, signed)
		if built++; built == 3 {
			frame = append([]byte(`<patient><id extension="150467-1490"/></patient>`), frame...)
		}
		return frame
	}
	_, err = r.deliver(context.Background(), sk, plan.Options{Run: 1}, 1, faulty, true)
	var refused *plan.ErrRealPersonsToTest
	if !errors.As(err, &refused) || !refused.AtDelivery || strings.Contains(err.Error(), "1490") {
		t.Fatalf("want a refusal at delivery, masked, got %v", err)
	}
	sk.Close()
	manifest, err := os.ReadFile(filepath.Join(dir, "package", "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(manifest), "\n"); n != 2 {
		t.Errorf("%d documents delivered, want the 2 built before the faulty frame:\n%s", n, manifest)
	}
}
