package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/mapping"
	"github.com/kantamig/kantamig/pipeline"
	"github.com/kantamig/kantamig/profile"
	"github.com/kantamig/kantamig/report"
)

func profileCommand(c *cli) *cobra.Command {
	cmd := newCommand("profile")
	fs := cmd.Flags()
	file := fs.StringP("mapping", "m", "", "mapping file (YAML): profile the sources it reads, with its value maps")
	sosmeta := fs.String("sosmeta", os.Getenv("KANTAMIG_SOSMETA"), "folder of Sosmeta JSON Schemas (env KANTAMIG_SOSMETA; default: built in)")
	out := fs.String("report", "out/profile.xlsx", "workbook to write; the JSON goes beside it (.json)")
	minCount := fs.Int("min-count", 5, "values seen fewer times are not listed (the minimum cell size, so that the profile can be shared)")
	top := fs.Int("top", 10, "most frequent values listed per column")
	xmlRecords := fs.StringArray("xml-record", nil, "for an XML file without a mapping: the path of a record element, once per kind of record a hierarchical export holds, each profiled as a source (default: one guessed)")
	initFile := fs.String("init", "", "without a mapping: also write a first mapping skeleton here, every guess marked")
	dsnEnv := fs.String("dsn-env", "", "profile every table of a database: the environment variable holding its connection string (never the string itself)")
	dbKind := fs.String("db-kind", "mysql", "with --dsn-env: mysql (MySQL, MariaDB) or mssql (SQL Server)")
	schema := fs.String("schema", "", "with --dsn-env: the schema whose tables to profile (default: the connection's database; dbo on SQL Server)")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		given := 0
		for _, b := range []bool{*file != "", len(args) > 0, *dsnEnv != ""} {
			if b {
				given++
			}
		}
		if given != 1 {
			return usageError("profile: give one of a mapping file (-m MAPPING), the source files to profile, or a database (--dsn-env VAR)")
		}
		sourcesOnly := *file != "" && mapping.SourcesOnly(*file)
		if *initFile != "" && *file != "" && !sourcesOnly {
			return usageError("profile: --init writes a skeleton from files, a database, or a mapping file with only sources:; %s maps entities already", *file)
		}
		if *dbKind != "mysql" && *dbKind != "mssql" {
			return usageError("profile: --db-kind %q: choose mysql or mssql", *dbKind)
		}
		if *minCount < 1 {
			return usageError("profile: --min-count must be at least 1")
		}
		last := time.Now()
		opts := profile.Options{MinCount: *minCount, Top: *top, Progress: func(source string, n int) {
			if time.Since(last) >= 2*time.Second {
				last = time.Now()
				c.log.Info("progress", fmt.Sprintf("profiling %s: %d records", source, n), "phase", "profiling "+source, "done", n)
			}
		}}
		ctx := context.Background()
		var p *profile.Profile
		if sourcesOnly {
			specs, err := mapping.LoadSources(*file)
			if err != nil {
				return err
			}
			if p, err = profile.OfSources(ctx, specs, opts); err != nil {
				return err
			}
		} else if *file != "" {
			m, _, err := pipeline.Load(*file, *sosmeta)
			if err != nil {
				return err
			}
			if p, err = profile.OfMapping(ctx, m, opts); err != nil {
				return err
			}
		} else if *dsnEnv != "" {
			var err error
			if p, err = profile.OfDatabase(ctx, *dbKind, *dsnEnv, *schema, opts); err != nil {
				return err
			}
		} else {
			var err error
			if p, err = profile.OfFiles(ctx, args, *xmlRecords, opts); err != nil {
				return err
			}
		}
		jsonPath := strings.TrimSuffix(*out, ".xlsx") + ".json"
		if err := report.WriteProfileExcel(p, *out); err != nil {
			return fmt.Errorf("writing %s: %w", *out, err)
		}
		if err := report.WriteProfileJSON(p, jsonPath); err != nil {
			return fmt.Errorf("writing %s: %w", jsonPath, err)
		}
		for _, s := range p.Sources {
			var notes []string
			for _, col := range s.Columns {
				if col.XMLForbidden > 0 {
					notes = append(notes, fmt.Sprintf("%s: %d value(s) with characters XML forbids", col.Name, col.XMLForbidden))
				}
				if col.InvalidUTF8 > 0 {
					notes = append(notes, fmt.Sprintf("%s: %d value(s) not valid UTF-8 (is the encoding right?)", col.Name, col.InvalidUTF8))
				}
				if col.UnmappedAll > 0 {
					notes = append(notes, fmt.Sprintf("%s: %d value(s) no value map covers", col.Name, col.UnmappedAll))
				}
				if h := col.IdentityCodes; h != nil && h.Failing() > 0 {
					notes = append(notes, fmt.Sprintf("%s: %d identity code(s) failing their checks (format, century sign, date, individual number or check character)", col.Name, h.Failing()))
				}
				if col.UnparseableDates > 0 {
					notes = append(notes, fmt.Sprintf("%s: %d value(s) shaped like a date that read as none (such as 30.2.2010 or 2010-13-01; the dry-run rejects each, naming it)", col.Name, col.UnparseableDates))
				}
			}
			fmt.Fprintf(c.stdout, "%s (%s): %d records, %d columns\n", s.Name, s.Kind, s.Records, len(s.Columns))
			for _, n := range notes {
				fmt.Fprintf(c.stdout, "  %s\n", n)
			}
		}
		for _, h := range p.Hints {
			fmt.Fprintf(c.stdout, "note: %s\n", h)
		}
		fmt.Fprintf(c.stdout, "profile: %s and %s (values seen fewer than %d times are not listed; identity codes, names, contact data and free text never are)\n", *out, jsonPath, *minCount)
		if *initFile != "" {
			if err := profile.WriteSkeleton(p, *initFile); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "mapping skeleton: %s (every guess is marked GUESS, every gap TODO; kantamig check refuses it until they are settled)\n", *initFile)
		}
		return nil
	}
	return cmd
}
