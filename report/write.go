package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/xuri/excelize/v2"
)

// WriteJSON writes the report as indented JSON, readable by the owner only.
func (r *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	return writePrivate(path, append(data, '\n'))
}

func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating report folder: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return os.Rename(tmp, path)
}

// WriteExcel writes the report as a workbook with one sheet per view:
// Summary, By type, By service task, Rejects, Skipped, Warnings, Unmapped
// values and Settings. Long lists are streamed into their sheets.
func (r *Report) WriteExcel(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	sheets := []struct {
		name  string
		write func(*excelize.StreamWriter) error
		width []float64
	}{
		{"Summary", r.summaryRows, []float64{28, 12, 12, 12, 12, 12, 14}},
		{"By type", func(sw *excelize.StreamWriter) error {
			return countRows(sw, "General document type", r.DocumentsByType)
		}, []float64{34, 12, 12, 12, 12}},
		{"By service task", func(sw *excelize.StreamWriter) error { return countRows(sw, "Service task", r.DocumentsByTask) }, []float64{34, 12, 12, 12, 12}},
		{"Rejects", func(sw *excelize.StreamWriter) error { return findingRows(sw, r.Rejects) }, []float64{40, 10, 16, 18, 20, 18, 90}},
		{"Skipped", func(sw *excelize.StreamWriter) error { return findingRows(sw, r.Skips) }, []float64{40, 10, 16, 18, 20, 18, 90}},
		{"Warnings", func(sw *excelize.StreamWriter) error { return findingRows(sw, r.Warnings) }, []float64{40, 10, 16, 18, 20, 18, 90}},
		{"Unmapped values", r.unmappedRows, []float64{20, 20, 20, 10, 40}},
		{"Settings", r.settingsRows, []float64{24, 90}},
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(s.name)
		if err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, err)
		}
		for col, w := range s.width {
			if err := sw.SetColWidth(col+1, col+1, w); err != nil {
				return err
			}
		}
		if err := s.write(sw); err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, err)
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("writing sheet %q: %w", s.name, err)
		}
		_ = f.SetRowStyle(s.name, 2, 2, bold)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating report folder: %w", err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return fmt.Errorf("saving workbook: %w", err)
	}
	return writePrivate(path, buf.Bytes())
}

type rowWriter struct {
	sw  *excelize.StreamWriter
	row int
	err error
}

func (w *rowWriter) put(values ...any) {
	if w.err != nil {
		return
	}
	w.row++
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	w.err = w.sw.SetRow(cell, values)
}

func newRows(sw *excelize.StreamWriter, title string) *rowWriter {
	w := &rowWriter{sw: sw}
	// Row 1 holds the sheet title; row 2 the header.
	w.err = sw.SetRow("A1", []any{title})
	w.row = 1
	return w
}

func (r *Report) summaryRows(sw *excelize.StreamWriter) error {
	w := newRows(sw, "Dry-run summary: every source record and its outcome")
	w.put("Entity", "Extracted", "Generated", "Would load", "Rejected", "Skipped", "Reconciles")
	for _, e := range Entities {
		c := r.Entities[e]
		if c == nil && Optional(e) {
			continue
		}
		if c == nil {
			c = &Counts{}
		}
		w.put(e, c.Extracted, c.Generated, c.WouldLoad, c.Rejected, c.Skipped, yesNo(c.Reconciles()))
	}
	t := r.Total
	w.put("Total", t.Extracted, t.Generated, t.WouldLoad, t.Rejected, t.Skipped, yesNo(t.Reconciles()))
	w.put()
	w.put("Entity / source", "Extracted", "Generated", "Would load", "Rejected", "Skipped", "Reconciles")
	for _, e := range Entities {
		bySource := r.EntitySources[e]
		names := make([]string, 0, len(bySource))
		for n := range bySource {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := bySource[n]
			w.put(e+" / "+n, c.Extracted, c.Generated, c.WouldLoad, c.Rejected, c.Skipped, yesNo(c.Reconciles()))
		}
	}
	w.put()
	w.put("Reconciliation: "+t.Equation(), "", "", "", "", "", yesNo(r.Reconciles()))
	w.put("Documents generated and checked", r.DocumentsGenerated)
	w.put("Documents signed", r.DocumentsSigned)
	w.put("Characters XML forbids, removed", r.RemovedCharacters)
	w.put("Warnings", len(r.Warnings))
	w.put("Distinct unmapped legacy values", len(r.Unmapped))
	if r.StateCounts != nil {
		w.put()
		w.put("Delivery (from the state file)", "Loaded", "Pending", "Rejected", "Skipped")
		for _, e := range Entities {
			c := r.StateCounts[e]
			if c == nil && Optional(e) {
				continue
			}
			w.put(e, c["loaded"], c["pending"], c["rejected"], c["skipped"])
		}
		w.put("Documents delivered in this run", r.DocumentsDelivered)
		w.put("Already at the sink (re-sent, no-op)", r.DuplicatesAtSink)
	}
	return w.err
}

func countRows(sw *excelize.StreamWriter, label string, m map[string]*Counts) error {
	w := newRows(sw, "Documents by "+label)
	w.put(label, "Extracted", "Would load", "Rejected", "Skipped")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sum Counts
	for _, k := range keys {
		c := m[k]
		w.put(k, c.Extracted, c.WouldLoad, c.Rejected, c.Skipped)
		sum.Extracted += c.Extracted
		sum.WouldLoad += c.WouldLoad
		sum.Rejected += c.Rejected
		sum.Skipped += c.Skipped
	}
	w.put("Total", sum.Extracted, sum.WouldLoad, sum.Rejected, sum.Skipped)
	return w.err
}

func findingRows(sw *excelize.StreamWriter, fs []Finding) error {
	w := newRows(sw, fmt.Sprintf("%d records", len(fs)))
	w.put("Locator", "Entity", "Source", "Key", "Field", "Rule", "Reason")
	for _, f := range fs {
		w.put(f.Locator, f.Entity, f.Source, f.Key, f.Field, f.Rule, f.Reason)
	}
	return w.err
}

func (r *Report) unmappedRows(sw *excelize.StreamWriter) error {
	w := newRows(sw, "Legacy code values no value map covered")
	w.put("Field", "Value map", "Value", "Count", "Example locator")
	for _, u := range r.Unmapped {
		w.put(u.Field, u.Map, u.Value, u.Count, u.ExampleLocator)
	}
	return w.err
}

func (r *Report) settingsRows(sw *excelize.StreamWriter) error {
	s := r.Settings
	w := newRows(sw, "Settings of this run")
	w.put("Setting", "Value")
	w.put("Command", s.Command)
	w.put("Mapping file", s.MappingFile)
	w.put("Mapping SHA-256", s.MappingSHA256)
	w.put("Source system", s.System)
	w.put("Cut-off (joining day)", s.Cutoff)
	w.put("Sosmeta schema folder", s.SchemaFolder)
	w.put("kantamig version", s.Version)
	w.put("Started", s.Started.Format("2006-01-02 15:04:05 MST"))
	w.put("Finished", s.Finished.Format("2006-01-02 15:04:05 MST"))
	w.put("Personal data shown", yesNo(s.PersonalData))
	w.put("Signed with", s.Signer)
	w.put("Signing workers", s.SigningWorkers)
	names := make([]string, 0, len(s.CodeSets))
	for n := range s.CodeSets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w.put("Code set "+n, s.CodeSets[n])
	}
	return w.err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
