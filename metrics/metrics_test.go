package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

type noProgress struct{}

func (noProgress) Start(string, int64) {}
func (noProgress) Add(int64)           {}
func (noProgress) Finish()             {}

// What a run reports reaches /metrics under names Prometheus's own linter
// accepts: staged records, documents by kind and fate, those still to go,
// and the signing and archive times.
func TestARunsMetricsAreServed(t *testing.T) {
	m := New()
	bound, stop, err := m.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p := m.Progress(noProgress{})
	p.Start("staging", 0)
	p.Add(5)
	p.Finish()
	p.Start("delivering", 10)
	o := m.Observe(nil)
	for range 3 {
		o.Delivered("client-document")
	}
	o.Refused("case", "case", "asiat:S1", "1.2.3", "HTTP 422")
	o.HeldBack("client-document", "document", "asiakirjat:D1", "1.2.4", "it waits")
	o.Signed(2 * time.Millisecond)
	o.Sent(30 * time.Millisecond)

	resp, err := http.Get("http://" + bound + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	for _, want := range []string{
		"kantamig_records_staged_total 5",
		`kantamig_documents_delivered_total{kind="client-document"} 3`,
		`kantamig_documents_refused_total{kind="case"} 1`,
		`kantamig_documents_held_back_total{kind="client-document"} 1`,
		"kantamig_documents_pending 5",
		"kantamig_signature_duration_seconds_count 1",
		"kantamig_sink_duration_seconds_count 1",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	problems, err := testutil.GatherAndLint(m.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "kantamig_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}
