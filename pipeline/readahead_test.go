package pipeline

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kantamig/kantamig/extract"
)

// bigRecords is a source of n records, each with a field of size bytes
// (a scan in a BLOB), counting the records it was asked for.
type bigRecords struct {
	n, size int
	asked   atomic.Int64
}

func (s *bigRecords) Next(ctx context.Context) (extract.Record, error) {
	i := s.asked.Add(1)
	if int(i) > s.n {
		return extract.Record{}, io.EOF
	}
	return extract.Record{Fields: map[string]string{"blob": strings.Repeat("x", s.size)}, Locator: "big"}, nil
}
func (s *bigRecords) Columns() []string { return []string{"blob"} }
func (s *bigRecords) Close() error      { return nil }

// settled waits until the source has not been asked for a record for a
// while, and returns how many it was asked for.
func settled(s *bigRecords) int64 {
	last := s.asked.Load()
	for {
		time.Sleep(50 * time.Millisecond)
		now := s.asked.Load()
		if now == last {
			return now
		}
		last = now
	}
}

// Reading ahead holds records of at most the byte budget (and one more,
// read before it waits): a source of 5 MB records is not read to its end
// while staging is busy with the first, and each record staging is done
// with lets one more be read. Small records are read ahead by count.
func TestReadingAheadIsBoundedByBytes(t *testing.T) {
	t.Parallel()
	const size = 5 << 20
	src := &bigRecords{n: 100, size: size}
	records, done, stop := readAhead(context.Background(), src)
	defer stop()
	first := <-records
	asked := settled(src)
	if limit := int64(readAheadBytes/size + 3); asked > limit {
		t.Fatalf("with one 5 MB record in hand, %d records were read ahead; want at most %d (a budget of %d bytes)", asked, limit, readAheadBytes)
	}
	done(first)
	deadline := time.Now().Add(10 * time.Second) // a busy machine may take a while to run the reader
	for src.asked.Load() <= asked && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if again := src.asked.Load(); again <= asked {
		t.Errorf("a record done with let no other be read (%d, then %d)", asked, again)
	}

	small := &bigRecords{n: 1000, size: 10}
	records, _, stopSmall := readAhead(context.Background(), small)
	defer stopSmall()
	<-records
	if asked := settled(small); asked > readAheadRecords+3 {
		t.Errorf("small records: %d read ahead, want at most about %d", asked, readAheadRecords)
	}
}
