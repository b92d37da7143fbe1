// Command cdlc-bench loads cdlc's HTTP endpoints with a fixed concurrency for
// a fixed time and prints throughput and latency percentiles beside a bare
// net/http baseline measured in the same run. `make bench` builds bin/cdlc
// and runs it; see bench/README.md.
//
// Exit status: 0 when every request succeeded, 1 when the server did not
// start or any request or setup step failed, 2 on bad flags. A slow figure
// never changes the exit status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cdlc/cdlc/bench"
)

func main() {
	// When started as the baseline's child process, serve and never return.
	bench.ServeBaselineIfChild()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("cdlc-bench", flag.ContinueOnError)
	var (
		duration    = fs.Duration("duration", 10*time.Second, "measured period per run")
		warmup      = fs.Duration("warmup", 2*time.Second, "warm-up period before each measured period (not counted)")
		rounds      = fs.Int("rounds", 5, "split -duration into this many turns, alternating baseline and scenario, so background load weighs on both alike")
		concurrency = fs.Int("concurrency", 32, "concurrent workers, each one request in flight, on keep-alive connections")
		timeout     = fs.Duration("timeout", 10*time.Second, "per-request timeout")
		target      = fs.String("target", "", "base URL of an already running server (default: start -bin)")
		token       = fs.String("token", os.Getenv("CDLC_AUTH_ADMIN_TOKEN"), "admin bearer token for -target (default $CDLC_AUTH_ADMIN_TOKEN; generated when the bench starts the server)")
		bin         = fs.String("bin", "bin/cdlc", "cdlc binary to start when -target is not given")
		serverTgt   = fs.String("server-target", "config", "--target of the started server")
		dataDir     = fs.String("data-dir", "", "--data-dir of the started server (default: a temporary directory, removed after)")
		readyWait   = fs.Duration("ready-timeout", 60*time.Second, "how long to wait for the started server's /readyz to answer 200")
		scenarios   = fs.String("scenarios", "", "comma-separated scenarios to run (default: all; see -list)")
		list        = fs.Bool("list", false, "list the scenarios and exit")
		driver      = fs.String("driver", string(bench.DriverWrk), "load generator: wrk (lean, in C; installed by make bench) or go (this program's own client)")
		wrkThreads  = fs.Int("wrk-threads", 1, "wrk's threads (-t); 1 leaves the other cores to the servers")
		baseline    = fs.String("baseline", string(bench.BaselineProcess), "where the bare baseline handler runs: process (a child process, like the server) or inprocess")
		jsonOut     = fs.String("json", "", "also write the report as JSON to this file")
		searchData  = fs.String("search-data", "data/bench-search", "where the search scenarios' generated catalog is kept between runs (its data directory is the server's --data-dir when those scenarios run)")
		searchDocs  = fs.Int("search-docs", 1_000_000, "titles, and as many people, in the search scenarios' catalog")
	)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cdlc-bench [flags]\n\nLoads cdlc endpoints and compares each with a bare net/http baseline measured in the same run.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "cdlc-bench: unexpected arguments %q\n", fs.Args())
		return 2
	}

	if *list {
		for _, s := range bench.Scenarios() {
			fmt.Printf("%-20s %s\n", s.Name, s.Description)
		}
		return 0
	}
	if *concurrency < 1 || *rounds < 1 || *duration <= 0 || *warmup < 0 || *timeout <= 0 {
		fmt.Fprintln(os.Stderr, "cdlc-bench: -concurrency and -rounds must be >= 1, -duration and -timeout > 0, -warmup >= 0")
		return 2
	}
	mode := bench.BaselineMode(*baseline)
	if mode != bench.BaselineProcess && mode != bench.BaselineInProcess {
		fmt.Fprintf(os.Stderr, "cdlc-bench: -baseline=%q: want %s or %s\n", *baseline, bench.BaselineProcess, bench.BaselineInProcess)
		return 2
	}
	drv := bench.Driver(*driver)
	if drv != bench.DriverWrk && drv != bench.DriverGo {
		fmt.Fprintf(os.Stderr, "cdlc-bench: -driver=%q: want %s or %s\n", *driver, bench.DriverWrk, bench.DriverGo)
		return 2
	}
	if drv == bench.DriverWrk {
		if _, err := exec.LookPath("wrk"); err != nil {
			fmt.Fprintf(os.Stderr, "cdlc-bench: wrk not found: %s\n", bench.WrkInstallHint)
			return 2
		}
	}
	selected := bench.Scenarios()
	if *scenarios != "" {
		var err error
		if selected, err = bench.Lookup(strings.Split(*scenarios, ",")); err != nil {
			fmt.Fprintf(os.Stderr, "cdlc-bench: -scenarios: %v\n", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The search scenarios run on a large generated catalog, made once and
	// kept: the server serves it.
	serverData := *dataDir
	for _, s := range selected {
		if !bench.IsSearchScenario(s.Name) || *target != "" {
			continue
		}
		cat, err := bench.PrepareSearchCatalog(ctx, *bin, *searchData, *searchDocs, os.Stderr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cdlc-bench: %v\n", err)
			return 1
		}
		if serverData == "" {
			serverData = cat.DataDir
		}
		break
	}

	rep, err := bench.Run(ctx, bench.Options{
		Load: bench.Load{
			Concurrency: *concurrency,
			Duration:    *duration,
			Warmup:      *warmup,
			Rounds:      *rounds,
			Timeout:     *timeout,
			Driver:      drv,
			WrkThreads:  *wrkThreads,
		},
		TargetURL: strings.TrimRight(*target, "/"),
		Token:     *token,
		Server: bench.ServerOptions{
			Bin:          *bin,
			Target:       *serverTgt,
			DataDir:      serverData,
			Args:         bench.GatewayLimitArgs(),
			ReadyTimeout: *readyWait,
			StopTimeout:  30 * time.Second,
		},
		Baseline: mode,
		Progress: os.Stderr,
	}, selected)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cdlc-bench: %v\n", err)
		return 1
	}
	rep.Finish()
	fmt.Println()
	if err := rep.WriteTable(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "cdlc-bench: %v\n", err)
		return 1
	}
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			fmt.Fprintf(os.Stderr, "cdlc-bench: write %s: %v\n", *jsonOut, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "report written to %s\n", *jsonOut)
	}
	if rep.Failed {
		return 1
	}
	return 0
}
