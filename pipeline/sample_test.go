package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"testing"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/kanta"
)

// inSample is the documented rule, written out here: a client is in a share
// of the clients when the first 64 bits of the SHA-256 of its qualified key
// fall below that share of 2^64.
func inSample(qualifiedKey string, share float64) bool {
	h := sha256.Sum256([]byte(qualifiedKey))
	return float64(binary.BigEndian.Uint64(h[:8])) < share*math.MaxUint64
}

func sourceRecords(t *testing.T, spec extract.Spec) []extract.Record {
	t.Helper()
	src, err := extract.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	recs, err := extract.ReadAll(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// A dry-run of a sample takes exactly the clients the rule picks, each with
// all its documents: what loads of them is what the full dry-run loads of
// them; every other record is counted as sampled out, not listed; the same
// sample comes out of every run, and the report says it is a sample.
func TestDryRunOfASample(t *testing.T) {
	t.Parallel()
	const share = 0.2
	full := dryRunSmall(t, Options{})
	sampled := dryRunSmall(t, Options{Sample: Sample{Share: share}})
	again := dryRunSmall(t, Options{Sample: Sample{Share: share}})

	if sampled.Settings.Sample == "" {
		t.Error("the report does not say it is a sample")
	}
	if !sampled.Total.Reconciles() {
		t.Errorf("the sample does not reconcile: %+v", sampled.Total)
	}
	for _, f := range append(sampled.Rejects, sampled.Skips...) {
		if f.Rule == kanta.RuleSampledOut {
			t.Fatalf("a sampled-out record is listed: %+v", f)
		}
	}
	// What the full run did not load, by entity and key.
	notLoaded := map[string]int{}
	for _, f := range append(full.Rejects, full.Skips...) {
		notLoaded[f.Entity+"/"+f.Key]++
	}
	clients := sourceRecords(t, extract.Spec{Kind: "csv", File: "../samples/legacy-small/asiakkaat.csv", Delimiter: ";", Encoding: "utf-8"})
	docs := sourceRecords(t, extract.Spec{Kind: "xml", File: "../samples/legacy-small/asiakirjat.xml", Record: "/vienti/asiakirjat/asiakirja"})
	want := map[string]int{}
	counted := map[string]bool{}
	for _, r := range clients {
		k := r.Fields["asnro"]
		if inSample("asiakkaat:"+k, share) {
			want["client"]++
			if !counted["client/"+k] {
				counted["client/"+k] = true
				want["client"] -= notLoaded["client/"+k]
			}
		}
	}
	for _, r := range docs {
		k := r.Fields["@id"]
		if inSample("asiakkaat:"+r.Fields["asiakas"], share) {
			want["document"]++
			if !counted["document/"+k] {
				counted["document/"+k] = true
				want["document"] -= notLoaded["document/"+k]
			}
		}
	}
	for _, e := range []string{"client", "document"} {
		got := sampled.Entities[e].WouldLoad
		if got != want[e] {
			t.Errorf("%s: the sample would load %d, want %d (the full run's loads among the sampled clients)", e, got, want[e])
		}
		if got == 0 || got >= full.Entities[e].WouldLoad {
			t.Errorf("%s: the sample would load %d of the full run's %d", e, got, full.Entities[e].WouldLoad)
		}
		if again.Entities[e].WouldLoad != got {
			t.Errorf("%s: a second run of the same sample would load %d, the first %d", e, again.Entities[e].WouldLoad, got)
		}
	}
	if sampled.SampledOut == 0 || sampled.Total.Skipped != sampled.SampledOut+len(sampled.Skips) {
		t.Errorf("%d skipped in all, %d sampled out, %d listed", sampled.Total.Skipped, sampled.SampledOut, len(sampled.Skips))
	}
}

func TestParseSample(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Sample
		ok   bool
	}{{"500", Sample{Clients: 500}, true}, {"5%", Sample{Share: 0.05}, true}, {"100%", Sample{Share: 1}, true},
		{"0", Sample{}, false}, {"-3", Sample{}, false}, {"0%", Sample{}, false}, {"101%", Sample{}, false}, {"x", Sample{}, false}} {
		got, err := ParseSample(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSample(%q) = %+v, %v", c.in, got, err)
		}
	}
}
