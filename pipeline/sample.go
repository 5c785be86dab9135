package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/kantamig/kantamig/kanta"
)

// Sample makes a dry-run of a deterministic sample of clients, each with all
// its cases and documents, so that a large system can be tried in minutes.
//
// A client is in the sample when the SHA-256 of its key (its first 64 bits) falls in the
// sample's share of the hash space: the same clients on every run of the same
// sources, and a larger share keeps every client of a smaller one. A client
// outside the sample is skipped under the rule sampled-out; a record that
// refers to one (a case, a document, a service task) is skipped with it, by
// the same rule, instead of being rejected for a client not loaded. Records
// are still read and mapped whole: the warnings and unmapped values of the
// report are those of every record read, while outcomes count the sample.
type Sample struct {
	Share   float64 // the share of clients, 0 < Share <= 1; or
	Clients int     // about this many clients (the share is their count over the clients read first)
}

// ParseSample reads --sample: a count of clients ("500") or a share ("5%").
func ParseSample(s string) (Sample, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 100 {
			return Sample{}, fmt.Errorf("--sample %q: a share is a percentage above 0 and at most 100, e.g. 5%%", s)
		}
		return Sample{Share: f / 100}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return Sample{}, fmt.Errorf("--sample %q: give a number of clients (500) or a share (5%%)", s)
	}
	return Sample{Clients: n}, nil
}

// IsZero says no sample is asked for.
func (s Sample) IsZero() bool { return s.Share == 0 && s.Clients == 0 }

// sampledOutMark is in the reason of every record left out of a sample, and
// so in the reason resolve gives for a record referring to one: settle
// recognises those by it.
const sampledOutMark = "outside the dry-run's sample"

// sampler decides which client keys are in a sample.
type sampler struct {
	limit uint64 // keys hashing below it are in
	desc  string
}

func newSampler(s Sample, clients int) *sampler {
	share := s.Share
	desc := fmt.Sprintf("%g%% of the clients", 100*share)
	if s.Clients > 0 {
		share = 1
		if clients > 0 {
			share = math.Min(1, float64(s.Clients)/float64(clients))
		}
		desc = fmt.Sprintf("about %d of %d clients (%.2g%%)", s.Clients, clients, 100*share)
	}
	limit := uint64(math.MaxUint64)
	if share < 1 {
		limit = uint64(share * math.MaxUint64)
	}
	return &sampler{limit: limit, desc: desc + ", chosen by a hash of their keys, each with all its cases and documents"}
}

func (s *sampler) in(clientKey string) bool {
	h := sha256.Sum256([]byte(clientKey))
	return binary.BigEndian.Uint64(h[:8]) < s.limit
}

func (s *sampler) finding() *kanta.Finding {
	return &kanta.Finding{Rule: kanta.RuleSampledOut, Reason: "the client is " + sampledOutMark + " (" + s.desc + ")"}
}

// countClients reads the client sources to count their records, for a
// sample of a number of clients.
func (r *Runner) countClients(ctx context.Context) (int, error) {
	n := 0
	for _, em := range r.m.Of(kanta.EntityClient) {
		src, err := r.open(em)
		if err != nil {
			return 0, err
		}
		for {
			if _, err = src.Next(ctx); err != nil {
				break
			}
			n++
		}
		src.Close()
		if err != io.EOF {
			return 0, fmt.Errorf("counting the clients of %s for the sample: %w", em.SourceName, err)
		}
	}
	return n, nil
}

// sampledCase says whether a case may be in the sample: some client it names
// by key is in it, or it names its clients otherwise (by identity code, or
// in a table of members), and resolving them decides.
func (s *stager) sampledCase(c kanta.Case) bool {
	named := false
	for _, cc := range c.Clients {
		if cc.ClientKey != "" {
			named = true
			if s.sample.in(cc.ClientKey) {
				return true
			}
		}
	}
	return !named
}
