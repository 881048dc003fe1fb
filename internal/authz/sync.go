package authz

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// listenPing is how long the listener waits for a notification before
	// checking that its connection is still alive: a connection that died
	// without a word (a failover, a dropped NAT entry) would otherwise go
	// unnoticed until TCP keepalive gives up, minutes later.
	listenPing = 10 * time.Second
	// Reconnection backoff bounds.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// retryDelay is the pause before retrying a failed refresh or resync.
	retryDelay = 250 * time.Millisecond
)

// Run keeps this Authorizer in step with role changes made anywhere (this
// process or another replica) until ctx is done; it then returns nil. It
// blocks, so start it in its own goroutine.
//
// It holds one connection of its own that LISTENs on Channel. Each
// notification names a user; the users named are gathered and re-read
// together, so a burst of changes costs one query, and a change committed
// anywhere is enforced here within milliseconds. After every (re)connection
// it reloads everything, because notifications sent while it was not
// listening are lost; and it reloads everything every ReloadInterval anyway,
// as a safety net.
func (a *Authorizer) Run(ctx context.Context, databaseURL string) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("authz: Run is already running")
	}
	defer a.running.Store(false)
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("authz: policy listener: %w", err)
	}
	cfg.RuntimeParams["application_name"] = "humble authz listener"
	interval := a.ReloadInterval
	if interval <= 0 {
		interval = DefaultReloadInterval
	}

	var (
		pendingMu sync.Mutex
		pending   = map[int64]struct{}{}
		wake      = make(chan struct{}, 1)
		resync    = make(chan struct{}, 1)
	)
	signal := func(ch chan struct{}) {
		select {
		case ch <- struct{}{}:
		default: // already signalled: the receiver will pick everything up
		}
	}
	changed := func(userID int64) {
		pendingMu.Lock()
		pending[userID] = struct{}{}
		pendingMu.Unlock()
		signal(wake)
	}

	var wg sync.WaitGroup
	wg.Go(func() { a.listen(ctx, cfg, changed, func() { signal(resync) }) })
	wg.Go(func() { a.reloadLoop(ctx, interval, resync, func() { signal(resync) }) })
	defer wg.Wait()

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		}
		pendingMu.Lock()
		users := slices.Collect(maps.Keys(pending))
		clear(pending)
		pendingMu.Unlock()
		if err := a.refreshUsers(ctx, users); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.log.Warn("authz: could not apply role changes; retrying", "users", len(users), "err", err)
			for _, u := range users {
				changed(u)
			}
			if !sleep(ctx, retryDelay) {
				return nil
			}
		}
	}
}

// reloadLoop runs the full reloads: after each (re)connection of the
// listener (resync) and every interval.
func (a *Authorizer) reloadLoop(ctx context.Context, interval time.Duration, resync <-chan struct{}, again func()) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		var afterConnect bool
		select {
		case <-ctx.Done():
			return
		case <-resync:
			afterConnect = true
		case <-ticker.C:
		}
		start := time.Now()
		err := a.Reload(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("authz: reloading role assignments failed", "err", err)
			if afterConnect {
				// Until it succeeds, changes made while the listener was
				// away may be missing: try again soon, not in 30 s.
				if !sleep(ctx, retryDelay) {
					return
				}
				again()
			}
		default:
			if afterConnect {
				a.synced.Add(1)
			}
			a.log.Debug("authz: role assignments reloaded", "took", time.Since(start))
		}
	}
}

// listen keeps a LISTEN connection open, reconnecting with backoff. It calls
// changed for each user named by a notification, and resync when everything
// must be reloaded: after each successful LISTEN, or on a notification it
// does not understand.
func (a *Authorizer) listen(ctx context.Context, cfg *pgx.ConnConfig, changed func(int64), resync func()) {
	backoff := minBackoff
	for {
		err := a.listenOnce(ctx, cfg, changed, resync, func() { backoff = minBackoff })
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("authz: policy listener disconnected; reconnecting", "err", err, "in", backoff)
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func (a *Authorizer) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, changed func(int64), resync, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	resync()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, a.pingEvery)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !pgconn.Timeout(err) {
				return err
			}
			// Quiet for a while: make sure the connection still works.
			pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return err
			}
			continue
		}
		if n.Channel != Channel {
			continue
		}
		if uid, ok := parseSubject(n.Payload); ok {
			changed(uid)
		} else {
			// Someone notified by hand, or a newer version with another
			// payload: be safe and reload everything.
			a.log.Warn("authz: unexpected policy notification; reloading", "payload", n.Payload)
			resync()
		}
	}
}

// sleep waits d or until ctx is done, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
