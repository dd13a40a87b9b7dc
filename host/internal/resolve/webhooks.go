package resolve

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mockarty-oss/mockarty/host/internal/model"
	"github.com/mockarty-oss/mockarty/host/internal/render"
)

// Async webhooks run on a fixed set of workers with a bounded queue, so a
// flood of requests to a mock with a slow webhook target cannot pile up
// goroutines.
const (
	webhookWorkers = 16
	webhookQueue   = 1024
)

func (r *Resolver) startWebhookWorkers() {
	r.hooks = make(chan func(), webhookQueue)
	for i := 0; i < webhookWorkers; i++ {
		r.hookWG.Add(1)
		go func() {
			defer r.hookWG.Done()
			for job := range r.hooks {
				job()
			}
		}()
	}
}

// SignatureHeader carries the HMAC-SHA256 of a webhook body when the
// webhook has a secret: "sha256=<hex>".
const SignatureHeader = "X-Mockarty-Signature"

// fireWebhooks runs the mock's webhooks for one resolution. d.Response is
// the rendered response, readable as $.response.*. Synchronous webhooks
// finish before the caller replies; async ones run in the background.
func (r *Resolver) fireWebhooks(m *model.Mock, d *render.Data, failed bool) {
	for i := range m.Webhooks {
		w := m.Webhooks[i]
		switch w.Trigger {
		case "", "on_success":
			if failed {
				continue
			}
		case "on_error":
			if !failed {
				continue
			}
		}
		switch w.Type {
		case "", "http", "kafka", "rabbitmq":
		default:
			r.log.Warn("unknown webhook type", "mock", m.ID, "type", w.Type)
			continue
		}
		body := renderWebhookBody(w.Body, d)
		renderWebhookKey(&w, d)
		if len(w.Headers) > 0 {
			// Header values are templates too; w is this iteration's copy.
			h := make(map[string]string, len(w.Headers))
			for k, v := range w.Headers {
				if t, err := render.CompileText(v); err == nil {
					v = string(t.Render(d))
				}
				h[k] = v
			}
			w.Headers = h
		}
		if !w.Async {
			r.sendWebhook(m.ID, &w, body)
			continue
		}
		id := m.ID
		select {
		case r.hooks <- func() { r.sendWebhook(id, &w, body) }:
		default:
			r.log.Warn("webhook queue full: dropping an async webhook", "mock", id, "url", w.URL)
		}
	}
}

func renderWebhookBody(raw json.RawMessage, d *render.Data) []byte {
	if len(raw) == 0 {
		return nil
	}
	t, err := render.CompileJSON(raw)
	if err != nil {
		return raw
	}
	return t.Render(d)
}

func (r *Resolver) sendWebhook(mockID string, w *model.Callback, body []byte) {
	method := strings.ToUpper(w.Method)
	if method == "" {
		method = http.MethodPost
	}
	timeout := time.Duration(w.Timeout) * time.Millisecond
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var err error
	for attempt := 0; attempt <= w.RetryCount; attempt++ {
		if attempt > 0 && w.RetryDelay > 0 {
			time.Sleep(time.Duration(w.RetryDelay) * time.Millisecond)
		}
		if err = r.webhookOnce(method, w, body, timeout); err == nil {
			return
		}
	}
	r.log.Warn("webhook failed", "mock", mockID, "url", w.URL, "attempts", w.RetryCount+1, "error", err)
}

func (r *Resolver) postOnce(method string, w *model.Callback, body []byte, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	if w.Secret != "" {
		mac := hmac.New(sha256.New, []byte(w.Secret))
		mac.Write(body)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// responseValue is the rendered response as a value for $.response.
func responseValue(out *Rendered) any {
	if len(out.Body) == 0 {
		return nil
	}
	if out.IsText {
		return string(out.Body)
	}
	v, err := decodeExact(out.Body)
	if err != nil {
		return string(out.Body)
	}
	return v
}
