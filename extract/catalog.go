package extract

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kantamig/kantamig/internal/secret"
)

// A database's catalogue (INFORMATION_SCHEMA, which MySQL, MariaDB and SQL
// Server all keep) says which tables a schema holds, their columns, their
// primary keys and the foreign keys between them: what kantamig profile
// needs to start a mapping of a database it has never seen.

// Table is one table (or view) of a schema.
type Table struct {
	Name    string
	Columns []string
	// Key is its primary key, in order (none for a view or a heap).
	Key []string
	// References are its columns that refer to another table's key.
	References []Reference
}

// Reference is a column that refers to another table's column: declared
// as a foreign key, or (Guessed) named as that table's one-column key is.
type Reference struct {
	Column, Table, To string
	Guessed           bool
}

// Catalog reads the tables of a schema ("" for the connection's own: the
// database of a MySQL DSN, dbo on SQL Server) through the connection string
// in the environment variable dsnEnv.
func Catalog(ctx context.Context, kind, dsnEnv, schema string) ([]Table, error) {
	d, err := dialectOf(kind)
	if err != nil {
		return nil, err
	}
	raw, err := secret.Get(dsnEnv)
	if err != nil {
		return nil, fmt.Errorf("the connection string: %w", err)
	}
	if dsnEnv == "" || raw == "" {
		return nil, fmt.Errorf("set the environment variable %s to the connection string, or %s_FILE to a file holding it (it is never read from an argument)", dsnEnv, dsnEnv)
	}
	dsn, err := d.dsn(raw)
	if err != nil {
		return nil, fmt.Errorf("the connection string in %s: %w", dsnEnv, err)
	}
	db, err := sql.Open(d.driver(), dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open the connection: %w", scrub(err, raw))
	}
	defer db.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		return nil, fmt.Errorf("cannot connect: %w", scrub(err, raw))
	}
	if schema == "" {
		if err := db.QueryRowContext(ctx, catalogQueries[kind].schema).Scan(&schema); err != nil {
			return nil, fmt.Errorf("the connection's schema: %w", scrub(err, raw))
		}
	}
	byName := map[string]*Table{}
	var order []string
	table := func(name string) *Table {
		t, ok := byName[name]
		if !ok {
			t = &Table{Name: name}
			byName[name] = t
			order = append(order, name)
		}
		return t
	}
	q := catalogQueries[kind]
	if err := eachRow(ctx, db, q.columns, schema, func(v []string) { t := table(v[0]); t.Columns = append(t.Columns, v[1]) }); err != nil {
		return nil, fmt.Errorf("reading the columns of schema %s: %w", schema, scrub(err, raw))
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("schema %s holds no table the connection may read", schema)
	}
	if err := eachRow(ctx, db, q.keys, schema, func(v []string) {
		if t, ok := byName[v[0]]; ok {
			t.Key = append(t.Key, v[1])
		}
	}); err != nil {
		return nil, fmt.Errorf("reading the primary keys of schema %s: %w", schema, scrub(err, raw))
	}
	if err := eachRow(ctx, db, q.references, schema, func(v []string) {
		if t, ok := byName[v[0]]; ok {
			t.References = append(t.References, Reference{Column: v[1], Table: v[2], To: v[3]})
		}
	}); err != nil {
		return nil, fmt.Errorf("reading the foreign keys of schema %s: %w", schema, scrub(err, raw))
	}
	tables := make([]Table, 0, len(order))
	for _, name := range order {
		tables = append(tables, *byName[name])
	}
	guessReferences(tables)
	return tables, nil
}

// guessReferences adds, where no foreign key is declared (legacy schemas
// seldom declare them), a reference from a column named as another
// table's one-column primary key ("asiakasnro" in asian_jasen refers to
// asiakas, whose key is asiakasnro).
func guessReferences(tables []Table) {
	owner := map[string]string{}
	for _, t := range tables {
		if len(t.Key) == 1 {
			k := strings.ToLower(t.Key[0])
			if _, taken := owner[k]; taken {
				owner[k] = "" // two tables keyed alike: no guess
			} else {
				owner[k] = t.Name
			}
		}
	}
	for i := range tables {
		t := &tables[i]
		declared := map[string]bool{}
		for _, r := range t.References {
			declared[strings.ToLower(r.Column)] = true
		}
		for _, c := range t.Columns {
			lc := strings.ToLower(c)
			if to := owner[lc]; to != "" && to != t.Name && !declared[lc] {
				for _, o := range tables {
					if o.Name == to {
						t.References = append(t.References, Reference{Column: c, Table: to, To: o.Key[0], Guessed: true})
					}
				}
			}
		}
		sort.SliceStable(t.References, func(a, b int) bool { return t.References[a].Column < t.References[b].Column })
	}
}

func eachRow(ctx context.Context, db *sql.DB, query, schema string, fn func([]string)) error {
	rows, err := db.QueryContext(ctx, query, schema)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out := make([]string, len(cols))
		for i, v := range vals {
			out[i] = v.String
		}
		fn(out)
	}
	return rows.Err()
}

// catalogQueries are the catalogue's questions in each dialect; each takes
// the schema as its one parameter.
var catalogQueries = map[string]struct{ schema, columns, keys, references string }{
	"mysql": {
		schema: "SELECT DATABASE()",
		columns: "SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? " +
			"ORDER BY TABLE_NAME, ORDINAL_POSITION",
		keys: "SELECT k.TABLE_NAME, k.COLUMN_NAME FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE k " +
			"WHERE k.TABLE_SCHEMA = ? AND k.CONSTRAINT_NAME = 'PRIMARY' ORDER BY k.TABLE_NAME, k.ORDINAL_POSITION",
		references: "SELECT k.TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME " +
			"FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE k WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL " +
			"ORDER BY k.TABLE_NAME, k.ORDINAL_POSITION",
	},
	"mssql": {
		schema: "SELECT SCHEMA_NAME()",
		columns: "SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @p1 " +
			"ORDER BY TABLE_NAME, ORDINAL_POSITION",
		keys: "SELECT k.TABLE_NAME, k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS c " +
			"JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE k ON k.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND k.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA " +
			"WHERE c.CONSTRAINT_TYPE = 'PRIMARY KEY' AND c.TABLE_SCHEMA = @p1 ORDER BY k.TABLE_NAME, k.ORDINAL_POSITION",
		references: "SELECT f.TABLE_NAME, f.COLUMN_NAME, p.TABLE_NAME, p.COLUMN_NAME " +
			"FROM INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS r " +
			"JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE f ON f.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND f.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA " +
			"JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE p ON p.CONSTRAINT_NAME = r.UNIQUE_CONSTRAINT_NAME AND p.CONSTRAINT_SCHEMA = r.UNIQUE_CONSTRAINT_SCHEMA " +
			"AND p.ORDINAL_POSITION = f.ORDINAL_POSITION WHERE f.TABLE_SCHEMA = @p1 ORDER BY f.TABLE_NAME, f.ORDINAL_POSITION",
	},
}
