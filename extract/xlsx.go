package extract

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

type xlsxSource struct {
	book   *excelize.File
	rows   *excelize.Rows
	name   string
	sheet  string
	header []string
	row    int
	spec   Spec
	// dates are the workbook's date styles (see dateFormats); styles
	// streams the cells' styles when there are any.
	dates    map[int]bool
	date1904 bool
	styles   *cellStyles
}

func init() {
	Register(Kind{Name: "xlsx", File: true, Options: []string{"sheet", "header_row"}, Open: openXLSX,
		Check: func(s Spec) []Problem {
			if s.HeaderRow < 0 {
				return []Problem{{Option: "header_row", Message: fmt.Sprintf("header_row %d is not a row", s.HeaderRow), Hint: "rows count from 1"}}
			}
			return nil
		}})
}

// Limits on what a workbook may unpack to. A workbook is a zip: 2 MB can
// unpack to gigabytes (a zip bomb, or a sheet of a billion empty cells),
// and the workbook library holds the shared strings in memory. A real
// export of a million rows unpacks to about a gigabyte of sheet XML and
// compresses 5-20 times; these limits pass that and refuse what is not.
const (
	xlsxMaxUnpacked      = 4 << 30   // everything in the workbook, unpacked
	xlsxMaxSharedStrings = 256 << 20 // the shared strings (held in memory)
	xlsxMaxRatio         = 200       // unpacked to packed, for a part over xlsxRatioFloor
	xlsxRatioFloor       = 16 << 20
)

// checkUnpackedSizes refuses a workbook whose parts would unpack beyond the
// limits, from the sizes its zip directory declares (Go's zip reader
// refuses a part that unpacks to more than it declared, so they hold).
func checkUnpackedSizes(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("opening workbook: %w", err)
	}
	defer zr.Close()
	name := filepath.Base(path)
	var total uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		total += size
		switch {
		case strings.EqualFold(f.Name, "xl/sharedStrings.xml") && size > xlsxMaxSharedStrings:
			return fmt.Errorf("workbook %s: its shared strings unpack to %d MiB, over the %d MiB kantamig holds in memory: export the sheet as CSV (UTF-8) and map that instead", name, size>>20, xlsxMaxSharedStrings>>20)
		case size > xlsxRatioFloor && f.CompressedSize64 > 0 && size/f.CompressedSize64 > xlsxMaxRatio:
			return fmt.Errorf("workbook %s: its part %s unpacks from %d KiB to %d MiB (%d to 1), which no export of records does: it looks like a zip bomb or a damaged file; export the sheet again", name, f.Name, f.CompressedSize64>>10, size>>20, size/f.CompressedSize64)
		}
	}
	if total > xlsxMaxUnpacked {
		return fmt.Errorf("workbook %s unpacks to %d MiB, over %d MiB: export the sheet as CSV (UTF-8) and map that instead", name, total>>20, xlsxMaxUnpacked>>20)
	}
	return nil
}

// Sheets lists a workbook's sheets in their order, for a profile that
// reads every sheet of a workbook given without a mapping.
func Sheets(file string) ([]string, error) {
	if err := checkUnpackedSizes(file); err != nil {
		return nil, err
	}
	book, err := excelize.OpenFile(file, excelize.Options{UnzipSizeLimit: xlsxMaxUnpacked})
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	defer book.Close()
	return book.GetSheetList(), nil
}

func openXLSX(spec Spec) (Source, error) {
	if err := checkUnpackedSizes(spec.File); err != nil {
		return nil, err
	}
	book, err := excelize.OpenFile(spec.File, excelize.Options{UnzipSizeLimit: xlsxMaxUnpacked})
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	sheet := spec.Sheet
	if sheet == "" {
		sheet = book.GetSheetName(0)
	}
	if idx, err := book.GetSheetIndex(sheet); err != nil || idx < 0 {
		book.Close()
		return nil, fmt.Errorf("workbook %s has no sheet %q (sheets: %s)", filepath.Base(spec.File), sheet, strings.Join(book.GetSheetList(), ", "))
	}
	rows, err := book.Rows(sheet)
	if err != nil {
		book.Close()
		return nil, fmt.Errorf("reading sheet %q: %w", sheet, err)
	}
	spec.Sheet = sheet
	s := &xlsxSource{book: book, rows: rows, name: filepath.Base(spec.File), sheet: sheet, spec: spec, dates: dateFormats(book)}
	if props, err := book.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		s.date1904 = *props.Date1904
	}
	if len(s.dates) > 0 {
		if s.styles, err = openCellStyles(spec.File, sheet); err != nil {
			s.Close()
			return nil, fmt.Errorf("reading sheet %q: %w", sheet, err)
		}
	}
	headerRow := max(spec.HeaderRow, 1)
	for s.row < headerRow {
		if !rows.Next() {
			s.Close()
			return nil, fmt.Errorf("sheet %q has no header row %d: %w", sheet, headerRow, ErrNoHeader)
		}
		s.row++
		cols, err := rows.Columns()
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("reading sheet %q row %d: %w", sheet, s.row, err)
		}
		s.header = cols
	}
	return s, nil
}

func (s *xlsxSource) Columns() []string { return s.header }

// Next returns cells as stored, except a date cell (a number with a date
// format), which comes as an ISO date, or date-time when its format shows
// the time (see xlsxdates.go).
func (s *xlsxSource) Next(ctx context.Context) (Record, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		if !s.rows.Next() {
			if err := s.rows.Error(); err != nil {
				return Record{}, fmt.Errorf("reading sheet %q: %w", s.sheet, err)
			}
			return Record{}, io.EOF
		}
		s.row++
		cols, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Record{}, fmt.Errorf("reading sheet %q row %d: %w", s.sheet, s.row, err)
		}
		empty := true
		for _, c := range cols {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue // blank rows are layout, not records
		}
		if err := s.convertDates(cols); err != nil {
			return Record{}, err
		}
		fields := make(map[string]string, len(s.header))
		for i, v := range cols {
			name := strconv.Itoa(i + 1)
			if i < len(s.header) && s.header[i] != "" {
				name = s.header[i]
			}
			fields[name] = v
		}
		return Record{Fields: fields, Locator: fmt.Sprintf("%s!%s:%d", s.name, s.sheet, s.row)}, nil
	}
}

// convertDates turns the date cells of the current row into ISO dates.
func (s *xlsxSource) convertDates(cols []string) error {
	if s.styles == nil {
		return nil
	}
	styles, err := s.styles.at(s.row)
	if err != nil {
		return fmt.Errorf("reading sheet %q row %d: %w", s.sheet, s.row, err)
	}
	for i, v := range cols {
		withTime, isDate := s.dates[styles[i+1]]
		if isDate && v != "" {
			if iso, ok := dateCellValue(v, withTime, s.date1904); ok {
				cols[i] = iso
			}
		}
	}
	return nil
}

func (s *xlsxSource) Close() error {
	if s.styles != nil {
		s.styles.Close()
	}
	if s.rows != nil {
		s.rows.Close()
	}
	return s.book.Close()
}
