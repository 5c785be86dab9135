package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kantamig/kantamig/ledger"
	"github.com/kantamig/kantamig/report"
	"github.com/kantamig/kantamig/state"
)

// runReport writes a run's report from its state store alone, at any time:
// after a run whose own report could not be written (a full disk after the
// last delivery), while a run is going, or long after. It needs neither the
// sources nor the mapping. What only staging sees (warnings, unmapped
// values) is in the report that run writes; this one has every record's
// outcome by entity, document type and service task, the rejects and skips
// with their reasons, and the delivery counts, read from the same ledger.
func reportCommand(c *cli) *cobra.Command {
	cmd := newCommand("report")
	fs := cmd.Flags()
	path := fs.String("state", "", "state file of the run")
	reportPath := fs.String("report", "", "Excel report to write (default beside the state file); JSON beside it")
	showPersonal := fs.Bool("show-personal-data", false, "show identity codes and names unmasked in the report")
	lang := langFlag(fs)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		stdout, stderr := c.stdout, c.stderr
		if *path == "" || len(args) > 0 {
			fmt.Fprintln(stderr, "kantamig report: give --state FILE (and optionally --report FILE.xlsx)")
			return exitWith(exitUsage)
		}
		st, err := state.OpenReadOnly(*path)
		if err != nil {
			return err
		}
		defer st.Close()
		rep, err := reportFromState(st, *showPersonal, *lang)
		if err != nil {
			return err
		}
		if *reportPath == "" {
			*reportPath = strings.TrimSuffix(*path, ".db") + "-report.xlsx"
		}
		xlsxPath, jsonPath := reportFiles(*reportPath)
		if err := rep.WriteExcel(xlsxPath); err != nil {
			return err
		}
		if err := rep.WriteJSON(jsonPath); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report of %s: %s and %s\n", *path, xlsxPath, jsonPath)
		return nil
	}
	return cmd
}

func reportFromState(st state.Store, showPersonal bool, lang string) (*report.Report, error) {
	var serr error
	setting := func(name string) string {
		v, err := st.Setting(name)
		if err != nil && serr == nil {
			serr = fmt.Errorf("reading %s from the state store: %w", name, err)
		}
		return v
	}
	started, _ := time.Parse(time.RFC3339, setting("first_start")) // unset before the first run: the zero time
	rep := report.New(report.Settings{
		Command: "kantamig report (from the state store)", MappingFile: setting("mapping_file"), MappingSHA256: setting("mapping_sha256"),
		Cutoff: setting("cutoff"), TimeZone: setting("time_zone"), TestRehearsal: setting("test_rehearsal") == "true", Version: version, Started: started, PersonalData: showPersonal, Language: lang,
	})
	if serr != nil {
		return nil, serr
	}
	loaded, err := ledger.Account(st, rep, 0)
	if err != nil {
		return nil, err
	}
	if rep.StateCounts, err = st.Counts(); err != nil {
		return nil, err
	}
	rep.DocumentsDelivered = loaded
	rep.DocumentsSigned = rep.DocumentsDelivered
	rep.Finish()
	return rep, nil
}
