package pipeline

import (
	"context"

	"github.com/kantamig/kantamig/extract"
)

// readAheadRecords is how many records a source is read ahead of staging:
// enough to keep the reader busy while a record is staged, few enough that
// memory does not follow the source's size.
const readAheadRecords = 64

// read is one record a source gave, or the error that ended it (io.EOF
// after the last).
type read struct {
	rec extract.Record
	err error
}

// readAhead reads src in a goroutine of its own, a bounded number of records
// ahead of the caller, so that parsing a source (XML, a workbook, a
// database's rows) runs beside the staging of the records before. Records
// come in source order; the last item carries the error that ended the
// source. stop ends the reading early and waits until the goroutine has
// left src, so that the caller may close it.
func readAhead(ctx context.Context, src extract.Source) (next <-chan read, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan read, readAheadRecords)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for {
			rec, err := src.Next(ctx)
			select {
			case out <- read{rec, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out, func() { cancel(); <-done }
}
