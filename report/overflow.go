package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// The report keeps in memory the first WarningsListedPerRule warnings of
// each rule, for the workbook, whose readers filter a sheet rather than
// scroll a million rows; the others go, masked as every listed finding
// is, to an overflow file that exists only while the report does (it is
// removed from the folder as soon as it is made), and the JSON report
// lists them after the kept ones: all of them, with memory that does not
// follow how many there are.
type overflow struct {
	file *os.File
	buf  *bufio.Writer
	err  error
}

// add writes a warning to the overflow file, made on the first one.
func (o *overflow) add(f Finding) {
	if o.err != nil {
		return
	}
	if o.file == nil {
		file, err := os.CreateTemp("", "kantamig-warnings-*.jsonl")
		if err != nil {
			o.err = fmt.Errorf("keeping the warnings beyond the listed ones: %w", err)
			return
		}
		os.Remove(file.Name()) // open, it stays readable; closed or killed, it is gone
		o.file, o.buf = file, bufio.NewWriterSize(file, 64<<10)
	}
	data, err := json.Marshal(f)
	if err != nil {
		o.err = err
		return
	}
	o.buf.Write(data)
	if err := o.buf.WriteByte('\n'); err != nil {
		o.err = fmt.Errorf("keeping the warnings beyond the listed ones: %w", err)
	}
}

// each calls fn with every overflowed warning's JSON, in the order they came.
func (o *overflow) each(fn func([]byte) error) error {
	if o.err != nil {
		return o.err
	}
	if o.file == nil {
		return nil
	}
	if err := o.buf.Flush(); err != nil {
		return err
	}
	if _, err := o.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	defer o.file.Seek(0, io.SeekEnd)
	sc := bufio.NewScanner(o.file)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Close lets go of the overflow file.
func (r *Report) Close() error {
	if r.over.file == nil {
		return nil
	}
	err := r.over.file.Close()
	r.over.file, r.over.buf = nil, nil
	return err
}

// writeJSON writes the report as JSON to w: the warnings array holds the
// listed warnings, then the overflowed ones, streamed from their file.
func (r *Report) writeJSON(w io.Writer) error {
	// The report is encoded with a marker where the array goes, split
	// there, and the array written between the halves.
	const marker = `"kantamig-warnings-go-here"`
	compact, err := r.marshalWith(json.RawMessage(marker))
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	data := indented.Bytes()
	before, after, ok := bytes.Cut(data, []byte(marker))
	if !ok {
		return fmt.Errorf("encoding report: no place for the warnings")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString("[")
	n := 0
	item := func(js []byte) error {
		if n > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		n++
		var out bytes.Buffer
		if err := json.Indent(&out, js, "    ", "  "); err != nil {
			return err
		}
		_, err := bw.Write(out.Bytes())
		return err
	}
	for _, f := range r.Warnings {
		js, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if err := item(js); err != nil {
			return err
		}
	}
	if err := r.over.each(item); err != nil {
		return err
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	bw.Write(after)
	bw.WriteString("\n")
	return bw.Flush()
}
