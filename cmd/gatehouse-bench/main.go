// Command gatehouse-bench is `make bench`: see package internal/bench.
package main

import (
	"os"

	"github.com/gatehouse-dev/gatehouse/internal/bench"
)

func main() { os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr)) }
