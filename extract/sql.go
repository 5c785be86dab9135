package extract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	// The database drivers: MySQL/MariaDB and MS SQL Server.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/microsoft/go-mssqldb"

	"github.com/kantamig/kantamig/internal/secret"
)

// sqlSource streams the rows of one query. Both database kinds share this
// path; what differs between them is in dialect.
type sqlSource struct {
	db      *sql.DB
	rows    *sql.Rows
	cancel  context.CancelFunc
	cols    []string
	types   []string
	label   string
	keyIdx  []int
	spec    Spec
	query   string
	dialect dialect
	n       int
	want    int64 // rows the query has, counted before streaming
}

// QueryError is a failure of the database: connecting, running the query or
// reading its rows. It names the source and the query, never the connection
// string.
type QueryError struct {
	Source, Query string
	Err           error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("%s: %v\n  query: %s", e.Source, e.Err, oneLine(e.Query))
}

func (e *QueryError) Unwrap() error { return e.Err }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var cutoffParam = regexp.MustCompile(`:cutoff\b`)

// SQLQuery builds the query of a spec in its dialect, with the cut-off as a
// bound parameter, and returns it with its arguments.
func SQLQuery(spec Spec) (string, []any, error) {
	d, err := dialectOf(spec.Kind)
	if err != nil {
		return "", nil, err
	}
	q := spec.Query
	if q == "" {
		cols := "*"
		if len(spec.Columns) > 0 {
			quoted := make([]string, len(spec.Columns))
			for i, c := range spec.Columns {
				quoted[i] = d.quote(c)
			}
			cols = strings.Join(quoted, ", ")
		}
		q = "SELECT " + cols + " FROM " + d.quote(spec.Table)
		if spec.Where != "" {
			q += " WHERE " + spec.Where
		}
		if len(spec.KeyColumns) > 0 {
			keys := make([]string, len(spec.KeyColumns))
			for i, k := range spec.KeyColumns {
				keys[i] = d.quote(k)
			}
			q += " ORDER BY " + strings.Join(keys, ", ")
		}
	}
	var args []any
	n := 0
	q = cutoffParam.ReplaceAllStringFunc(q, func(string) string {
		n++
		args = append(args, spec.Cutoff.Format("2006-01-02"))
		return d.param(n)
	})
	return q, args, nil
}

func init() {
	for _, name := range []string{"mysql", "mssql"} {
		Register(Kind{Name: name, Options: []string{"dsn_env", "query", "table", "columns", "where", "encodings"}, Open: openSQL, Check: checkSQL, Columns: columnsSQL})
	}
}

// checkSQL checks a database source's options: both database kinds share them.
func checkSQL(s Spec) []Problem {
	var p []Problem
	switch {
	case s.DSNEnv == "":
		p = append(p, Problem{Message: "dsn_env is required", Hint: "name the environment variable that holds the connection string, e.g. dsn_env: KANTAMIG_SOURCE_DSN; it never goes in this file"})
	case (s.Query == "") == (s.Table == ""):
		p = append(p, Problem{Message: "give either query or table", Hint: "give query: (a SELECT) or table: with columns: and where:"})
	}
	cols := make([]string, 0, len(s.Encodings))
	for col := range s.Encodings {
		cols = append(cols, col)
	}
	slices.Sort(cols)
	for _, col := range cols {
		p = append(p, knownEncoding("encodings", "column "+col+" has ", s.Encodings[col])...)
	}
	return p
}

// sqlConn is a database connection made for one source.
type sqlConn struct {
	db      *sql.DB
	dialect dialect
	label   string // how errors name the source
	query   string
	args    []any
	raw     string // the connection string, scrubbed from errors
}

// connectSQL builds a database source's query and connects, checking the
// connection string's variable first.
func connectSQL(ctx context.Context, spec Spec) (*sqlConn, error) {
	d, err := dialectOf(spec.Kind)
	if err != nil {
		return nil, err
	}
	label := spec.Label
	switch {
	case label != "":
	case spec.Table != "":
		label = spec.Table
	case spec.Name != "":
		label = "query of source " + spec.Name
	default:
		label = spec.Kind + " source"
	}
	query, args, err := SQLQuery(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	raw, err := secret.Get(spec.DSNEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: the connection string: %w", label, err)
	}
	if spec.DSNEnv == "" || raw == "" {
		return nil, fmt.Errorf("%s: set the environment variable %s to the connection string, or %s_FILE to a file holding it (it is never read from the mapping file)", label, spec.DSNEnv, spec.DSNEnv)
	}
	dsn, err := d.dsn(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: the connection string in %s: %w", label, spec.DSNEnv, err)
	}
	db, err := sql.Open(d.driver(), dsn)
	if err != nil {
		return nil, &QueryError{Source: label, Query: query, Err: errors.New("cannot open the connection")}
	}
	db.SetMaxOpenConns(1)
	pingCtx, pingCancel := context.WithTimeout(ctx, 15*time.Second)
	defer pingCancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, &QueryError{Source: label, Query: query, Err: fmt.Errorf("cannot connect: %w", scrub(err, raw))}
	}
	return &sqlConn{db: db, dialect: d, label: label, query: query, args: args, raw: raw}, nil
}

// columnsSQL lists a database source's columns: the database describes the
// query, and no row is read.
func columnsSQL(ctx context.Context, spec Spec) ([]string, error) {
	c, err := connectSQL(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer c.db.Close()
	rows, err := c.db.QueryContext(ctx, c.dialect.describe(c.query), c.args...)
	if err != nil {
		return nil, &QueryError{Source: c.label, Query: c.query, Err: scrub(err, c.raw)}
	}
	defer rows.Close()
	return rows.Columns()
}

func openSQL(spec Spec) (Source, error) {
	ctx, cancel := context.WithCancel(context.Background())
	c, err := connectSQL(ctx, spec)
	if err != nil {
		cancel()
		return nil, err
	}
	db, d, label, query, args, raw := c.db, c.dialect, c.label, c.query, c.args, c.raw
	// Count first: a driver may end a stream quietly when the connection is
	// lost (seen with MariaDB's KILL), and a short stream must not pass for
	// the whole source.
	var want int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+query+") kantamig_count", args...).Scan(&want); err != nil {
		cancel()
		db.Close()
		return nil, &QueryError{Source: label, Query: query, Err: scrub(err, raw)}
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		cancel()
		db.Close()
		return nil, &QueryError{Source: label, Query: query, Err: scrub(err, raw)}
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		cancel()
		db.Close()
		return nil, &QueryError{Source: label, Query: query, Err: err}
	}
	cts, _ := rows.ColumnTypes()
	types := make([]string, len(cols))
	for i, ct := range cts {
		types[i] = strings.ToUpper(ct.DatabaseTypeName())
	}
	s := &sqlSource{db: db, rows: rows, cancel: cancel, cols: cols, types: types, label: label, spec: spec, query: query, dialect: d, want: want}
	for _, k := range spec.KeyColumns {
		for i, c := range cols {
			if strings.EqualFold(c, k) {
				s.keyIdx = append(s.keyIdx, i)
			}
		}
	}
	return s, nil
}

// scrub keeps a connection string's secrets out of an error message.
func scrub(err error, dsn string) error {
	msg := err.Error()
	if dsn != "" && strings.Contains(msg, dsn) {
		return errors.New(strings.ReplaceAll(msg, dsn, "(connection string)"))
	}
	return err
}

func (s *sqlSource) Columns() []string { return s.cols }

// Total is how many rows the query has.
func (s *sqlSource) Total() int64 { return s.want }

// Next reads the next row. Values become text faithfully: DATE as
// YYYY-MM-DD, DATETIME as the source's wall time, TIMESTAMP converted from
// UTC to the source's time zone, DECIMAL as written, NULL as empty, text in
// the connection's UTF-8; binary columns are taken as UTF-8 unless the
// mapping names their legacy encoding.
func (s *sqlSource) Next(ctx context.Context) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			return Record{}, &QueryError{Source: s.label, Query: s.query, Err: fmt.Errorf("the connection failed after %d rows: %w", s.n, err)}
		}
		if int64(s.n) != s.want {
			return Record{}, &QueryError{Source: s.label, Query: s.query,
				Err: fmt.Errorf("the connection failed after %d rows: the stream ended before the %d rows the query has (was the connection lost, or did the source change?)", s.n, s.want)}
		}
		return Record{}, ioEOF
	}
	s.n++
	vals := make([]any, len(s.cols))
	ptrs := make([]any, len(s.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := s.rows.Scan(ptrs...); err != nil {
		return Record{}, &QueryError{Source: s.label, Query: s.query, Err: fmt.Errorf("reading row %d: %w", s.n, err)}
	}
	fields := make(map[string]string, len(s.cols))
	for i, c := range s.cols {
		v, err := s.convert(c, s.types[i], vals[i])
		if err != nil {
			return Record{}, &QueryError{Source: s.label, Query: s.query, Err: fmt.Errorf("row %d, column %s: %w", s.n, c, err)}
		}
		fields[c] = v
	}
	loc := s.label
	if len(s.keyIdx) > 0 {
		parts := make([]string, len(s.keyIdx))
		for i, k := range s.keyIdx {
			parts[i] = s.cols[k] + "=" + fields[s.cols[k]]
		}
		loc += " " + strings.Join(parts, ",")
	} else {
		loc += " row " + strconv.Itoa(s.n)
	}
	return Record{Fields: fields, Locator: loc}, nil
}

func (s *sqlSource) convert(col, typ string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case time.Time:
		return s.dialect.timeText(typ, x, s.spec.Timezone), nil
	case []byte:
		if enc := s.spec.Encodings[col]; enc != "" {
			e, err := textEncoding(enc)
			if err != nil {
				return "", err
			}
			if e != nil {
				out, err := e.NewDecoder().Bytes(x)
				return string(out), err
			}
		}
		text := string(x)
		if typ == "TIMESTAMP" && s.spec.Timezone != nil {
			if t, err := time.ParseInLocation("2006-01-02 15:04:05", text, time.UTC); err == nil {
				return t.In(s.spec.Timezone).Format("2006-01-02T15:04:05"), nil
			}
		}
		return text, nil // invalid UTF-8 is left for the mapping to reject with its reason
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	}
	text := fmt.Sprint(v)
	if !utf8.ValidString(text) {
		return "", fmt.Errorf("value of type %T", v)
	}
	return text, nil
}

func (s *sqlSource) Close() error {
	err := s.rows.Close()
	s.cancel()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}
