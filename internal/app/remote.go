package app

import (
	"context"
	"strings"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/module"
)

// initRemote follows the configurations server when the process was
// started with --config-url: every change set is folded into the remote
// layer, the configuration is rebuilt from all its layers, and the
// reloadable settings that changed are applied at once. Settings that need
// a restart are logged and left as they are.
func (a *App) initRemote(ctx context.Context) (module.Service, error) {
	if a.opts.Remote == nil {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	snap := a.opts.Snapshot
	return module.Funcs{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				_ = a.opts.Remote.Watch(ctx, snap.Revision, func(cs configserver.ChangeSet) {
					snap.Apply(cs)
					a.applyRemote(snap.Values, cs.Revision)
				})
			}()
			return nil
		},
		OnStop: func(context.Context) error {
			cancel()
			<-done
			return nil
		},
	}, nil
}

func (a *App) applyRemote(values map[string]any, revision int64) {
	src := a.opts.Sources
	src.Remote = values
	next, err := config.Load(Defaults(), src)
	if err != nil {
		a.Log.Error("configuration from the server is invalid; keeping the current one", "revision", revision, "err", err)
		return
	}
	cur := *a.Config()
	applied, pending := config.ApplyReloadable(cur, next)
	for _, c := range pending {
		a.Log.Warn("configuration changed on the server but needs a restart to apply", "key", c.Key, "revision", revision)
	}
	if len(config.Diff(cur, applied)) == 0 {
		return
	}
	var keys []string
	for _, c := range config.Diff(cur, applied) {
		keys = append(keys, c.Key)
	}
	a.Live.Store(applied)
	a.remoteRev.Store(revision)
	a.Log.Info("configuration reloaded", "revision", revision, "keys", strings.Join(keys, ","))
}
