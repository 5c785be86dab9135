package pipeline

import (
	"context"

	"golang.org/x/sync/semaphore"

	"github.com/kantamig/kantamig/extract"
)

// A source is read ahead of staging by at most readAheadRecords records and
// readAheadBytes bytes of their fields: enough to keep the reader busy while
// a record is staged, little enough that memory does not follow the
// source's size (a database's rows may carry scans of tens of megabytes in
// a BLOB). A record larger than the byte budget is read alone.
const (
	readAheadRecords = 64
	readAheadBytes   = 16 << 20
)

// read is one record a source gave, or the error that ended it (io.EOF
// after the last), and the part of the byte budget it holds.
type read struct {
	rec  extract.Record
	err  error
	held int64
}

// readAhead reads src in a goroutine of its own, ahead of the caller within
// the budgets above, so that parsing a source (XML, a workbook, a
// database's rows) runs beside the staging of the records before. Records
// come in source order; the last item carries the error that ended the
// source. The caller calls done with each record once it is through with
// it. stop ends the reading early and waits until the goroutine has left
// src, so that the caller may close it.
func readAhead(ctx context.Context, src extract.Source) (next <-chan read, done func(read), stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan read, readAheadRecords)
	budget := semaphore.NewWeighted(readAheadBytes)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		defer close(out)
		for {
			rec, err := src.Next(ctx)
			held := min(recordBytes(rec), readAheadBytes)
			if budget.Acquire(ctx, held) != nil {
				return
			}
			select {
			case out <- read{rec, err, held}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out, func(r read) { budget.Release(r.held) }, func() { cancel(); <-exited }
}

// recordBytes is about what a record's fields hold in memory.
func recordBytes(rec extract.Record) int64 {
	n := int64(len(rec.Locator))
	for k, v := range rec.Fields {
		n += int64(len(k) + len(v))
	}
	return n
}
