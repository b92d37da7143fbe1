package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/authserver/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// openAuthStore opens the auth service's database, migrated, as `cdlc
// migrate` does: the commands work whether or not a server runs (events
// they enqueue are published by the server's relay).
func openAuthStore(ctx context.Context, cfg app.Config) (authserver.Store, func(), error) {
	d, err := db.Open(ctx, cfg.DB, "auth")
	if err != nil {
		return nil, nil, fmt.Errorf("database of auth: %w", err)
	}
	if err := d.Migrate(events.Migrations, sqlstore.Migrations); err != nil {
		d.Close()
		return nil, nil, err
	}
	return sqlstore.New(d), func() { d.Close() }, nil
}

// commandError turns a validation error into a usage error (exit 2).
func commandError(err error) error {
	var e *errs.Error
	if errs.Is(err, errs.KindInvalid) && errors.As(err, &e) && e.Field != "" {
		return usageError("%s: %s", flagName(e.Field), e.Detail)
	}
	if errs.Is(err, errs.KindInvalid) {
		return usageError("%s", oneLine(err))
	}
	return err
}

// flagName is the flag a validation error's field came from.
func flagName(field string) string {
	f := strings.ReplaceAll(strings.TrimPrefix(field, "body."), "_", "-")
	switch f {
	case "grant-types", "redirect-uris", "post-logout-redirect-uris", "scopes":
		f = strings.TrimSuffix(f, "s")
	}
	return "--" + f
}

func authCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Manage the authorization server's OAuth clients", Args: cobra.NoArgs}
	client := &cobra.Command{Use: "client", Short: "Register, list and delete OAuth clients", Args: cobra.NoArgs}

	var in authserver.ClientInput
	var asJSON bool
	create := &cobra.Command{
		Use:   "create --name NAME --grant-type TYPE [flags]",
		Short: "Register a client; a confidential client's secret is printed once",
		Long: `Register an OAuth client. Examples:

  cdlc auth client create --name importer --grant-type client_credentials --scope catalog:write
  cdlc auth client create --name tv --public --grant-type urn:ietf:params:oauth:grant-type:device_code \
      --grant-type refresh_token --scope openid --scope profile --scope offline_access --scope account
  cdlc auth client create --name partner-site --grant-type authorization_code --grant-type refresh_token \
      --redirect-uri https://partner.example/callback --scope openid --scope email`,
		Args: cobra.NoArgs,
	}
	cflags := addSettingFlags(create)
	create.Flags().StringVar(&in.ID, "id", "", "client_id (default: generated)")
	create.Flags().StringVar(&in.Name, "name", "", "display name, shown on the consent page")
	create.Flags().BoolVar(&in.Public, "public", false, "public client: no secret, PKCE S256 required")
	create.Flags().BoolVar(&in.Trusted, "trusted", false, "first-party client: no consent page")
	create.Flags().StringArrayVar(&in.RedirectURIs, "redirect-uri", nil, "exact redirect URI (repeatable)")
	create.Flags().StringArrayVar(&in.PostLogoutRedirectURIs, "post-logout-redirect-uri", nil, "post-logout redirect URI (repeatable)")
	create.Flags().StringArrayVar(&in.GrantTypes, "grant-type", nil, "grant type (repeatable): "+strings.Join(authserver.GrantTypes, ", "))
	create.Flags().StringArrayVar(&in.Scopes, "scope", nil, "scope the client may be granted (repeatable): "+strings.Join(authserver.Scopes, " "))
	create.Flags().BoolVar(&asJSON, "json", false, "print the client as JSON")
	create.SetFlagErrorFunc(flagError)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := cflags.load(cmd)
		if err != nil {
			return err
		}
		st, closeDB, err := openAuthStore(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer closeDB()
		c, secret, err := authserver.CreateClient(cmd.Context(), st, in)
		if err != nil {
			return commandError(err)
		}
		out := cmd.OutOrStdout()
		if asJSON {
			return json.NewEncoder(out).Encode(map[string]any{"client": c, "client_secret": secret})
		}
		fmt.Fprintf(out, "client_id:     %s\n", c.ID)
		if secret != "" {
			fmt.Fprintf(out, "client_secret: %s\n(shown once: only its hash is kept)\n", secret)
		}
		return nil
	}

	list := &cobra.Command{Use: "list", Short: "List the registered clients", Args: cobra.NoArgs}
	lflags := addSettingFlags(list)
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := lflags.load(cmd)
		if err != nil {
			return err
		}
		st, closeDB, err := openAuthStore(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer closeDB()
		cs, err := st.ListClients(cmd.Context())
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(cs)
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CLIENT_ID\tNAME\tTYPE\tGRANTS\tSCOPES")
		for _, c := range cs {
			kind := "confidential"
			if c.Public {
				kind = "public"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, kind, strings.Join(c.GrantTypes, ","), strings.Join(c.Scopes, " "))
		}
		return w.Flush()
	}

	del := &cobra.Command{Use: "delete CLIENT_ID", Short: "Delete a client and revoke its grants", Args: cobra.ExactArgs(1)}
	dflags := addSettingFlags(del)
	del.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, _, err := dflags.load(cmd)
		if err != nil {
			return err
		}
		if args[0] == authserver.WebClientID {
			return usageError("%s is the platform's web app; the server recreates it at every start", args[0])
		}
		st, closeDB, err := openAuthStore(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := st.DeleteClient(cmd.Context(), args[0]); err != nil {
			if errs.Is(err, errs.KindNotFound) {
				return usageError("no client %s", args[0])
			}
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "client %s deleted\n", args[0])
		return nil
	}
	client.AddCommand(create, list, del)
	cmd.AddCommand(client)
	return cmd
}

func userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage user accounts", Args: cobra.NoArgs}
	var in authserver.NewUserInput
	var role string
	create := &cobra.Command{
		Use:   "create --email EMAIL --password PASSWORD [--role customer|operator|admin]",
		Short: "Create a user (e-mail marked verified)",
		Args:  cobra.NoArgs,
	}
	flags := addSettingFlags(create)
	create.Flags().StringVar(&in.Email, "email", "", "e-mail address (the sign-in name)")
	create.Flags().StringVar(&in.Password, "password", "", "password, 10 characters or more")
	create.Flags().StringVar(&in.Name, "name", "", "display name")
	create.Flags().StringVar(&role, "role", authserver.RoleCustomer, "role: customer, operator or admin (comma-separated for several)")
	create.SetFlagErrorFunc(flagError)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := flags.load(cmd)
		if err != nil {
			return err
		}
		if err := authserver.ValidatePassword("password", in.Password); err != nil {
			return commandError(err)
		}
		in.Roles = strings.Split(role, ",")
		in.EmailVerified = true
		st, closeDB, err := openAuthStore(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer closeDB()
		u, err := authserver.CreateUser(cmd.Context(), st, in, cfg.Auth.Server().Argon2.HashPassword(in.Password))
		if err != nil {
			if errs.Is(err, errs.KindConflict) {
				return usageError("%s", oneLine(err))
			}
			return commandError(err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "user %s created: %s (%s)\n", u.ID, u.Email, strings.Join(u.Roles, ","))
		return nil
	}
	cmd.AddCommand(create)
	return cmd
}
