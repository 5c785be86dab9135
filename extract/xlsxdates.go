package extract

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// A workbook keeps a date as a number and says it is a date only through
// the cell's number format. The workbook library's streaming reader gives
// values without their styles, so the reader streams the sheet's cells a
// second time for their style indexes alone (cellStyles), and converts a
// date cell to an ISO date (or date-time) with the library's conversion, in
// the workbook's date system (1900 or 1904). A number in any other cell
// stays a number: a mapping reads it as a date only where it says the
// column holds Excel serial day numbers.

// dateFormats says, for each cell style of a workbook, whether its number
// format shows a date (true: a date and time, false: a date; absent: no
// date).
func dateFormats(book *excelize.File) map[int]bool {
	formats := map[int]bool{}
	for i := 0; i < 1<<16; i++ {
		st, err := book.GetStyle(i)
		if err != nil || st == nil {
			break
		}
		code := ""
		if st.CustomNumFmt != nil {
			code = *st.CustomNumFmt
		} else if c, ok := builtinDateFormats[st.NumFmt]; ok {
			code = c
		}
		if date, withTime := isDateFormat(code); date {
			formats[i] = withTime
		}
	}
	return formats
}

// builtinDateFormats are the built-in number formats that show a date or a
// time (ECMA-376 part 1, 18.8.30; 27-36 and 50-58 are the East Asian
// dates, shown here as a date).
var builtinDateFormats = map[int]string{
	14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM",
	20: "hh:mm", 21: "hh:mm:ss", 22: "m/d/yy hh:mm", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0",
	27: "yyyy-mm-dd", 28: "yyyy-mm-dd", 29: "yyyy-mm-dd", 30: "m-d-yy", 31: "yyyy-mm-dd", 32: "h:mm:ss",
	33: "h:mm:ss", 34: "h:mm:ss", 35: "h:mm:ss", 36: "yyyy-mm-dd", 50: "yyyy-mm-dd", 51: "yyyy-mm-dd",
	52: "yyyy-mm-dd", 53: "yyyy-mm-dd", 54: "yyyy-mm-dd", 55: "yyyy-mm-dd", 56: "yyyy-mm-dd", 57: "yyyy-mm-dd", 58: "yyyy-mm-dd",
}

// isDateFormat says whether a number format code shows a date or a time,
// and whether it shows the time of day: its first section, without quoted
// text, escaped characters and bracketed colours or locales, has a date or
// time letter.
func isDateFormat(code string) (date, withTime bool) {
	section, _, _ := strings.Cut(code, ";")
	var b strings.Builder
	for i := 0; i < len(section); i++ {
		switch c := section[i]; c {
		case '"':
			if j := strings.IndexByte(section[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(section)
			}
		case '\\', '_', '*':
			i++ // the next character is shown as is (or is padding)
		case '[':
			j := strings.IndexByte(section[i:], ']')
			if j < 0 {
				i = len(section)
				break
			}
			inner := strings.ToLower(section[i+1 : i+j])
			if strings.Trim(inner, "hms") == "" { // [h], [mm], [ss]: elapsed time
				b.WriteString(inner)
			}
			i += j
		default:
			b.WriteByte(c | 0x20) // lower case (letters only matter)
		}
	}
	s := b.String()
	if s == "general" {
		return false, false
	}
	hasDate := strings.ContainsAny(s, "yd")
	hasTime := strings.ContainsAny(s, "hs")
	if !hasDate && !hasTime && strings.Contains(s, "m") {
		hasDate = true // "mmm" alone: a month
	}
	return hasDate || hasTime, hasTime
}

// dateCellValue converts a date cell's stored number to an ISO date, or
// date-time when its format shows the time, in the workbook's date system.
func dateCellValue(raw string, withTime, date1904 bool) (string, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return raw, false
	}
	t, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil {
		return raw, false
	}
	t = t.Round(time.Second)
	if withTime {
		return t.Format("2006-01-02T15:04:05"), true
	}
	return t.Format("2006-01-02"), true
}

// cellStyles streams the style index of each cell of a sheet, a row at a
// time, from the sheet's XML in the workbook's zip.
type cellStyles struct {
	zr     *zip.ReadCloser
	rc     io.ReadCloser
	dec    *xml.Decoder
	row    int         // the last row read
	styles map[int]int // its cells' styles by column (1 for A)
	done   bool
}

func openCellStyles(file, sheet string) (*cellStyles, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	part, err := sheetPart(files, sheet)
	if err != nil {
		zr.Close()
		return nil, err
	}
	f, ok := files[part]
	if !ok {
		zr.Close()
		return nil, fmt.Errorf("the workbook has no %s", part)
	}
	rc, err := f.Open()
	if err != nil {
		zr.Close()
		return nil, err
	}
	return &cellStyles{zr: zr, rc: rc, dec: xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))}, nil
}

// at returns the styles of row n's cells by column; rows are asked for in
// order. A row the sheet does not hold has none.
func (c *cellStyles) at(n int) (map[int]int, error) {
	for !c.done && c.row < n {
		if err := c.next(); err != nil {
			return nil, err
		}
	}
	if c.row == n {
		return c.styles, nil
	}
	return nil, nil
}

// next reads the next row element.
func (c *cellStyles) next() error {
	col := 0
	inRow := false
	for {
		tok, err := c.dec.Token()
		if err == io.EOF {
			c.done = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading cell styles: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow, col = true, 0
				c.row++
				if r, err := strconv.Atoi(attrOf(t, "r")); err == nil {
					c.row = r
				}
				if c.styles == nil {
					c.styles = map[int]int{}
				}
				clear(c.styles) // one map for every row: the caller reads it before asking for the next
			case "c":
				if !inRow {
					continue
				}
				col++
				if ref := attrOf(t, "r"); ref != "" {
					if x, _, err := excelize.CellNameToCoordinates(ref); err == nil {
						col = x
					}
				}
				if s, err := strconv.Atoi(attrOf(t, "s")); err == nil && s > 0 {
					c.styles[col] = s
				}
			}
		case xml.EndElement:
			if t.Name.Local == "row" && inRow {
				return nil
			}
		}
	}
}

func (c *cellStyles) Close() error {
	c.rc.Close()
	return c.zr.Close()
}
