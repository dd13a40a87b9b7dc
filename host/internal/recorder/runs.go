package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mockarty-oss/mockarty/host/internal/store"
	"github.com/mockarty-oss/mockarty/host/internal/tasks"
	"github.com/mockarty-oss/mockarty/sdk"
	"github.com/mockarty-oss/mockarty/sdk/recjob"
)

// PluginName is the tool plugin that records.
const PluginName = "recorder"

// The ports a recorder listens on (api-reference section 10).
const (
	PortMin = 8081
	PortMax = 8999
)

// startWait bounds how long a start waits for the proxy to listen.
const startWait = 15 * time.Second

// Runs runs recording sessions on the recorder plugin: a session records
// while its job runs; every entry is stored the moment it arrives.
type Runs struct {
	tasks.Runner
	svc *Service
	// BindHost is the address the proxies listen on (the API's).
	BindHost string
	// CA signs the certificates of a forward proxy's decrypted hosts.
	CA *CA

	mu    sync.Mutex
	ports map[int]string // port -> session recording on it
}

// NewRuns returns the run service; sessions end with base.
func NewRuns(base context.Context, svc *Service, exec tasks.Executor, net func() tasks.NetPolicy, log hclog.Logger) *Runs {
	return &Runs{Runner: tasks.NewRunner(base, exec, net, log), svc: svc, BindHost: "127.0.0.1", ports: map[int]string{}}
}

// Service is the sessions' store.
func (r *Runs) Service() *Service { return r.svc }

// Recover marks the sessions that were recording when the server stopped:
// their proxies went with it (their entries are kept).
func (r *Runs) Recover(ctx context.Context) {
	list, err := r.svc.Sessions(ctx, "", nil)
	if err != nil {
		r.Log.Warn("loading recording sessions", "error", err)
		return
	}
	for i := range list {
		sn := &list[i]
		if sn.Status == StatusRecording && !r.Live.Running(sn.ID) {
			sn.Status, sn.StoppedAt, sn.Error = StatusStopped, time.Now().UnixMilli(), "the server stopped while it was recording"
			if err := r.svc.saveSession(ctx, sn); err != nil {
				r.Log.Warn("marking an interrupted recording", "session", sn.ID, "error", err)
			}
		}
	}
}

// ErrPortInUse: the port asked for is taken.
var ErrPortInUse = fmt.Errorf("%w: port in use", store.ErrConflict)

// freePort is the port a session listens on: its own when set (free or
// ErrPortInUse), else the first free one of the range.
func (r *Runs) freePort(sessionID string, want int) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	free := func(p int) bool {
		if id, ok := r.ports[p]; ok && id != sessionID {
			return false
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(r.BindHost, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		_ = ln.Close()
		return true
	}
	if want != 0 {
		if !free(want) {
			return 0, fmt.Errorf("%w: %d is taken (GET /api/v1/recorder/ports lists the free ones)", ErrPortInUse, want)
		}
		r.ports[want] = sessionID
		return want, nil
	}
	for p := PortMin; p <= PortMax; p++ {
		if free(p) {
			r.ports[p] = sessionID
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w: every port from %d to %d is taken", ErrPortInUse, PortMin, PortMax)
}

func (r *Runs) releasePort(p int, sessionID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ports[p] == sessionID {
		delete(r.ports, p)
	}
}

// UsedPorts are the ports of the sessions recording now.
func (r *Runs) UsedPorts() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, 0, len(r.ports))
	for p := range r.ports {
		out = append(out, p)
	}
	return out
}

// Create stores a new session and starts recording it.
func (r *Runs) Create(ctx context.Context, sn *Session) (*Session, error) {
	if err := checkSession(sn); err != nil {
		return nil, err
	}
	sn.ID, sn.Status, sn.EntryCount, sn.StoppedAt, sn.Error = newID(), StatusIdle, 0, 0, ""
	if err := r.svc.saveSession(ctx, sn); err != nil {
		return nil, err
	}
	out, err := r.Start(ctx, sn.ID, sn.Port)
	if err != nil {
		_ = r.svc.DeleteSession(context.WithoutCancel(ctx), sn.ID)
		return nil, err
	}
	return out, nil
}

// Start starts recording a stored session (its port, or a free one) and
// returns it once its proxy listens.
func (r *Runs) Start(ctx context.Context, id string, port int) (*Session, error) {
	sn, err := r.svc.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Live.Running(id) {
		return nil, fmt.Errorf("%w: session %q is recording (stop it first)", store.ErrConflict, id)
	}
	if port == 0 {
		port = sn.Port
	}
	if port, err = r.freePort(id, port); err != nil {
		return nil, err
	}
	_, existing, err := r.svc.st.TesterObjects(ctx, store.TesterFilter{Kind: KindEntry, Parent: id, Limit: 1})
	if err != nil {
		r.releasePort(port, id)
		return nil, err
	}
	netp := r.Net()
	job := recjob.Job{SessionID: id, Mode: sn.Mode, TargetURL: sn.TargetURL, Address: net.JoinHostPort(r.BindHost, strconv.Itoa(port)),
		AllowPrivate: netp.AllowPrivate, AllowHosts: netp.AllowHosts, Modifications: sn.Modifications, Faults: sn.Faults}
	if sn.Mode == recjob.ModeForward && r.CA != nil {
		if cert, key, err := r.CA.PEM(); err == nil {
			job.CACertPEM, job.CAKeyPEM = string(cert), string(key)
		}
	}
	params, err := json.Marshal(job)
	if err != nil {
		r.releasePort(port, id)
		return nil, err
	}
	sn.Port, sn.Status, sn.StoppedAt, sn.Error = port, StatusRecording, 0, ""
	if err := r.svc.saveSession(ctx, sn); err != nil {
		r.releasePort(port, id)
		return nil, err
	}
	listening := make(chan struct{})
	var once sync.Once
	var failure error
	base := existing // the entries recorded before this start
	done := r.Live.Go(id, func(ctx context.Context) {
		defer r.releasePort(port, id)
		w := &entryWriter{st: r.svc.st, log: r.Log, session: id}
		stop := w.every(ctx)
		defer stop()
		_, err := r.Exec.Run(ctx, PluginName, sdk.Job{ID: id, Kind: recjob.KindSession, Params: params}, nil, func(p sdk.Progress) {
			switch p.ItemKind {
			case recjob.ItemListening:
				once.Do(func() { close(listening) })
			case recjob.ItemEntry:
				if row := entryRow(sn, p.Item, base); row != nil {
					w.add(row)
				}
			}
		})
		stop() // every entry stored before the session reads as stopped
		ended := r.Live.Ended(ctx)
		cur, gerr := r.svc.Session(context.WithoutCancel(ctx), id)
		if gerr != nil {
			return // deleted meanwhile
		}
		cur.Status, cur.StoppedAt = StatusStopped, time.Now().UnixMilli()
		switch {
		case ended == store.TaskCancelled:
		case ended != "":
			cur.Error = "the server stopped while it was recording"
		case err != nil:
			cur.Error = tasks.RunError(PluginName, err)
			failure = err
		default:
			cur.Error = "the recorder plugin ended the session"
		}
		if err := r.svc.saveSession(context.WithoutCancel(ctx), cur); err != nil {
			r.Log.Warn("marking a stopped recording", "session", id, "error", err)
		}
	})
	select {
	case <-listening:
		return r.svc.Session(ctx, id)
	case <-done:
		if failure != nil && strings.Contains(failure.Error(), "address already in use") {
			return nil, fmt.Errorf("%w: %d is taken", ErrPortInUse, port)
		}
		cur, _ := r.svc.Session(ctx, id)
		msg := "the recorder stopped before it listened"
		if cur != nil && cur.Error != "" {
			msg = cur.Error
		}
		return nil, errors.New(msg)
	case <-time.After(startWait):
		r.Live.Cancel(id)
		return nil, fmt.Errorf("the recorder did not listen on port %d within %s", port, startWait)
	}
}

// Stop stops recording a session and returns it.
func (r *Runs) Stop(ctx context.Context, id string) (*Session, error) {
	if !r.Live.Cancel(id) {
		sn, err := r.svc.Session(ctx, id)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: session %q is not recording (status %s)", store.ErrConflict, id, sn.Status)
	}
	return r.svc.Session(ctx, id)
}

// Delete stops a session if it records and removes it with its entries.
func (r *Runs) Delete(ctx context.Context, id string) error {
	r.Live.Cancel(id)
	return r.svc.DeleteSession(ctx, id)
}

// withCounts fills sessions' entryCount.
func (s *Service) withCounts(ctx context.Context, list []Session) error {
	for i := range list {
		_, n, err := s.st.TesterObjects(ctx, store.TesterFilter{Kind: KindEntry, Parent: list[i].ID, Limit: 1})
		if err != nil {
			return err
		}
		list[i].EntryCount = int(n)
	}
	return nil
}

// View is a session as the API answers it: with its entry count.
func (s *Service) View(ctx context.Context, sn *Session) (*Session, error) {
	list := []Session{*sn}
	if err := s.withCounts(ctx, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// Views are sessions with their entry counts.
func (s *Service) Views(ctx context.Context, list []Session) ([]Session, error) {
	return list, s.withCounts(ctx, list)
}

// SetModifications saves a session's header rules; a recording session's
// proxy restarts with them on its port.
func (r *Runs) SetModifications(ctx context.Context, id string, m recjob.Modifications) (*Session, error) {
	sn, err := r.svc.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	sn.Modifications = m
	if err := r.svc.saveSession(ctx, sn); err != nil {
		return nil, err
	}
	if r.Live.Cancel(id) {
		return r.Start(ctx, id, sn.Port)
	}
	return sn, nil
}

// entryWriter stores a session's entries in batches: the plugin's stream
// is read without waiting on the database, and the entries that arrived
// are written every tasks.FlushEvery (and when the session ends).
type entryWriter struct {
	st      *store.Store
	log     hclog.Logger
	session string
	mu      sync.Mutex
	pending []*store.TesterObject
}

func (w *entryWriter) add(row *store.TesterObject) {
	w.mu.Lock()
	w.pending = append(w.pending, row)
	w.mu.Unlock()
}

// flush writes the entries that arrived.
func (w *entryWriter) flush(ctx context.Context) {
	w.mu.Lock()
	rows := w.pending
	w.pending = nil
	w.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	if err := w.st.AddTesterObjects(context.WithoutCancel(ctx), rows); err != nil {
		w.log.Warn("storing recorded entries", "session", w.session, "entries", len(rows), "error", err)
	}
}

// every flushes until stop, which flushes a last time (it may be called
// more than once).
func (w *entryWriter) every(ctx context.Context) (stop func()) {
	t := time.NewTicker(tasks.FlushEvery)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-t.C:
				w.flush(ctx)
			case <-quit:
				w.flush(ctx)
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.Stop()
			close(quit)
			<-done
		})
	}
}
