package profile

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"

	"github.com/kantamig/kantamig/extract"
	"github.com/kantamig/kantamig/mapping"
)

// OfMapping profiles every source a mapping's entity blocks read, with the
// mapping's uses of their columns.
func OfMapping(ctx context.Context, m *mapping.Mapping, opts Options) (*Profile, error) {
	opts = opts.withDefaults()
	p := &Profile{Mapping: m.File, Generated: time.Now().UTC(), MinCount: opts.MinCount}
	for _, spec := range m.SourceSpecs() {
		s, err := ProfileSource(ctx, spec, m.SourceColumnUses(spec.Name), opts)
		if err != nil {
			return nil, err
		}
		p.Sources = append(p.Sources, s)
	}
	return p, nil
}

// OfFiles profiles files without a mapping: each file's kind comes from its
// extension (.csv, .txt: CSV with the delimiter its first line suggests;
// .xlsx: every sheet, a source each; .xml: a source for each record path
// xmlRecords names, or for the one guessed from the file's first records,
// the other repeated elements named in the profile's hints).
func OfFiles(ctx context.Context, files []string, xmlRecords []string, opts Options) (*Profile, error) {
	opts = opts.withDefaults()
	p := &Profile{Generated: time.Now().UTC(), MinCount: opts.MinCount}
	names := map[string]bool{}
	for _, file := range files {
		specs, hints, err := GuessSpecs(file, xmlRecords)
		if err != nil {
			return nil, err
		}
		p.Hints = append(p.Hints, hints...)
		for _, spec := range specs {
			if names[spec.Name] {
				return nil, fmt.Errorf("%s: a second source would be named %s: rename one of the files, or profile them through a mapping that names them", file, spec.Name)
			}
			names[spec.Name] = true
			s, err := ProfileSource(ctx, spec, nil, opts)
			if len(specs) > 1 && spec.Kind == "xlsx" && (errors.Is(err, extract.ErrNoHeader) || err == nil && len(s.Columns) == 0) {
				continue // an empty sheet of a workbook of several
			}
			if err != nil {
				return nil, err
			}
			p.Sources = append(p.Sources, s)
		}
	}
	return p, nil
}

// GuessSpecs makes the source specs of a file: one for a CSV file, one per
// record path of an XML file (a hierarchical export holds a kind of record
// at each: clients, their periods, their cases, the cases' entries), one
// per sheet of a workbook (a legacy system kept in Excel keeps each table
// on a sheet of its own), each source named after its sheet or element.
// The hints say what else the file seems to hold.
func GuessSpecs(file string, xmlRecords []string) ([]extract.Spec, []string, error) {
	first, others := "", []string(nil)
	if len(xmlRecords) > 0 {
		first = xmlRecords[0]
	} else if strings.EqualFold(filepath.Ext(file), ".xml") {
		var err error // guessed here, once, with the other repeated elements
		if first, others, err = guessRecordPaths(file); err != nil {
			return nil, nil, err
		}
	}
	spec, err := GuessSpec(file, first)
	if err != nil {
		return nil, nil, err
	}
	switch spec.Kind {
	case "xml":
		if len(xmlRecords) == 0 {
			if len(others) == 0 {
				return []extract.Spec{spec}, nil, nil
			}
			return []extract.Spec{spec}, []string{fmt.Sprintf("%s: records guessed at %s; the file also repeats %s: a hierarchical export holds a kind of record at each, so give each path with --xml-record (once per path) to profile them as sources of their own (a record reads its parent's key as ../@id)",
				file, spec.Record, strings.Join(others, ", "))}, nil
		}
		if len(xmlRecords) == 1 {
			return []extract.Spec{spec}, nil, nil
		}
		specs := make([]extract.Spec, len(xmlRecords))
		taken := map[string]bool{}
		for i, record := range xmlRecords {
			specs[i] = spec
			specs[i].Record = record
			parts := strings.Split(strings.Trim(record, "/"), "/")
			name := sourceName(parts[len(parts)-1])
			if taken[name] {
				name = sourceName(strings.Join(parts, "_"))
			}
			taken[name] = true
			specs[i].Name = name
			for _, other := range xmlRecords {
				if other != record {
					specs[i].OtherRecords = append(specs[i].OtherRecords, other)
				}
			}
		}
		return specs, nil, nil
	case "xlsx":
		sheets, err := extract.Sheets(file)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(sheets) < 2 {
			return []extract.Spec{spec}, nil, nil
		}
		specs := make([]extract.Spec, len(sheets))
		for i, sheet := range sheets {
			specs[i] = spec
			specs[i].Name, specs[i].Sheet = sourceName(sheet), sheet
		}
		return specs, nil, nil
	}
	return []extract.Spec{spec}, nil, nil
}

// GuessSpec makes a source spec for a file from its extension and first
// bytes; the guesses are the ones --init writes into the mapping skeleton.
func GuessSpec(file, xmlRecord string) (extract.Spec, error) {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	spec := extract.Spec{Name: sourceName(name), File: file}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv", ".txt", ".tsv":
		spec.Kind = "csv"
		head, err := firstLine(file)
		if err != nil {
			return spec, err
		}
		spec.Delimiter = guessDelimiter(head)
		if spec.Encoding, err = guessEncoding(file); err != nil {
			return spec, err
		}
	case ".xlsx":
		spec.Kind = "xlsx"
	case ".xml":
		spec.Kind = "xml"
		spec.Record = xmlRecord
		if spec.Record == "" {
			rec, _, err := guessRecordPaths(file)
			if err != nil {
				return spec, err
			}
			spec.Record = rec
		}
	default:
		return spec, fmt.Errorf("%s: cannot tell the kind of source from its extension (.csv, .xlsx or .xml); profile it through a mapping that declares it", file)
	}
	return spec, nil
}

// sourceName makes a mapping source (or value map) name of a file, sheet or
// column name: lower case letters, digits and underscores, none at the ends.
func sourceName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == 'ä':
			b.WriteRune('a')
		case r == 'ö':
			b.WriteRune('o')
		case r == 'å':
			b.WriteRune('a')
		default:
			b.WriteRune('_')
		}
	}
	// An XML column's @ and ../ are not part of its name ("../@palvelu").
	if name := strings.Trim(b.String(), "_"); name != "" {
		return name
	}
	return b.String()
}

func firstLine(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return line, nil
}

// guessEncoding tells UTF-8 from the Windows-1252 of older exports by the
// file's first MiB (a character cut at its end counts as one invalid
// byte), so that the profile reads names and values (and the header:
// "Henkilötunnus") as the mapping will.
func guessEncoding(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return "", err
	}
	// More bytes that are no UTF-8 than characters that are: Windows-1252.
	// A UTF-8 export with a few Windows-1252 values in it stays UTF-8, and
	// the dry-run rejects those values (encoding).
	valid, invalid := 0, 0
	for head := buf[:n]; len(head) > 0; {
		r, size := utf8.DecodeRune(head)
		switch {
		case r == utf8.RuneError && size == 1:
			invalid++
		case size > 1:
			valid++
		}
		head = head[size:]
	}
	if invalid > valid {
		return "windows-1252", nil
	}
	return "utf-8", nil
}

// guessDelimiter picks the most frequent of ; , tab and | in a header line.
func guessDelimiter(line string) string {
	best, n := ",", 0
	for _, d := range []string{";", ",", "\t", "|"} {
		if c := strings.Count(line, d); c > n {
			best, n = d, c
		}
	}
	return best
}

// guessRecordPath reads the first elements of an XML file and names the
// element path that repeats most often among elements that have children or
// attributes of their own: the record element of an export.
func guessRecordPaths(file string) (best string, others []string, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	d := xml.NewDecoder(io.LimitReader(f, 4<<20))
	d.CharsetReader = charset.NewReaderLabel
	var path []string
	count := map[string]int{}
	hasChildren := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) > 0 {
				hasChildren["/"+strings.Join(path, "/")] = true
			}
			path = append(path, t.Name.Local)
			p := "/" + strings.Join(path, "/")
			count[p]++
			if len(t.Attr) > 0 {
				hasChildren[p] = true
			}
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		}
	}
	n := 1
	for p, c := range count {
		if hasChildren[p] && (c > n || (c == n && len(p) < len(best))) {
			best, n = p, c
		}
	}
	if best == "" {
		return "", nil, fmt.Errorf("%s: no repeated record element found; give it with --xml-record /PATH/TO/RECORD", file)
	}
	for p, c := range count { // the other repeated elements that hold values
		if p != best && c > 1 && hasChildren[p] {
			others = append(others, p)
		}
	}
	sort.Strings(others)
	return best, others, nil
}

// OfDatabase profiles every table of a database schema ("" for the
// connection's own), read through the connection string in the
// environment variable dsnEnv, after its catalogue: each table's primary
// key and the tables its columns refer to (declared, or guessed from
// their names) go into the skeleton.
func OfDatabase(ctx context.Context, kind, dsnEnv, schema string, opts Options) (*Profile, error) {
	opts = opts.withDefaults()
	tables, err := extract.Catalog(ctx, kind, dsnEnv, schema)
	if err != nil {
		return nil, err
	}
	p := &Profile{Generated: time.Now().UTC(), MinCount: opts.MinCount}
	names := map[string]bool{}
	for _, t := range tables {
		name := sourceName(t.Name)
		for names[name] {
			name += "_"
		}
		names[name] = true
		spec := extract.Spec{Kind: kind, Name: name, DSNEnv: dsnEnv, Table: t.Name, KeyColumns: t.Key}
		s, err := ProfileSource(ctx, spec, nil, opts)
		if err != nil {
			return nil, err
		}
		s.dsnEnv, s.table, s.key = dsnEnv, t.Name, t.Key
		s.references = map[string]string{}
		for _, r := range t.References {
			how := "a foreign key"
			if r.Guessed {
				how = "named as its key"
			}
			s.references[r.Column] = fmt.Sprintf("%s.%s (%s)", r.Table, r.To, how)
		}
		p.Sources = append(p.Sources, s)
	}
	return p, nil
}

// OfSources profiles sources named without a mapping of their entities (a
// mapping file with only sources:, mapping.LoadSources).
func OfSources(ctx context.Context, specs []extract.Spec, opts Options) (*Profile, error) {
	opts = opts.withDefaults()
	p := &Profile{Generated: time.Now().UTC(), MinCount: opts.MinCount}
	for _, spec := range specs {
		s, err := ProfileSource(ctx, spec, nil, opts)
		if err != nil {
			return nil, err
		}
		s.dsnEnv, s.table, s.query = spec.DSNEnv, spec.Table, spec.Query
		s.delimiter, s.record = spec.Delimiter, spec.Record
		p.Sources = append(p.Sources, s)
	}
	return p, nil
}
