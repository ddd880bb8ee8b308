// Command gatehouse is an OAuth 2.0 / OpenID Connect server with client
// management built in. See README.md.
package main

import (
	"context"
	"os"

	"github.com/gatehouse-dev/gatehouse/internal/cli"
)

func main() { os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
