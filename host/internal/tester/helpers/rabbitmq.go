package helpers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RabbitTarget is a broker: its AMQP URL, and for listing queues and
// exchanges (which AMQP 0-9-1 cannot do) its management API.
type RabbitTarget struct {
	URL string `json:"url"`
	// ManagementURL is the management plugin's base URL
	// (http://host:15672); its credentials default to the AMQP URL's.
	ManagementURL string `json:"managementUrl"`
	// Vhost overrides the AMQP URL's virtual host for the management API.
	Vhost string `json:"vhost"`
}

// redactedAMQP is an AMQP URL without its password, for messages.
func redactedAMQP(raw string) string {
	u, err := amqp.ParseURI(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.Password != "" {
		u.Password = "xxxxx"
	}
	return u.String()
}

// dial opens a connection within ctx; close it with done. ctx ending
// closes it too, which ends the calls in flight.
func (t RabbitTarget) dial(ctx context.Context, g *Guard) (conn *amqp.Connection, done func(), err error) {
	if strings.TrimSpace(t.URL) == "" {
		return nil, nil, Inputf("url", "is required: the broker's AMQP URL (amqp://user:pass@host:5672/vhost)")
	}
	uri, err := amqp.ParseURI(strings.TrimSpace(t.URL))
	if err != nil {
		return nil, nil, Inputf("url", "is not an AMQP URL: %v", err)
	}
	addr := net.JoinHostPort(uri.Host, strconv.Itoa(uri.Port))
	shown := redactedAMQP(t.URL)
	if err := g.Check(ctx, addr); err != nil {
		return nil, nil, Fail(ctx, "url", "rabbitmq "+shown, err)
	}
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName("mockarty api tester")
	conn, err = amqp.DialConfig(strings.TrimSpace(t.URL), amqp.Config{Heartbeat: 10 * time.Second, Locale: "en_US", Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			c, err := g.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if dl, ok := ctx.Deadline(); ok {
				_ = c.SetDeadline(dl) // the handshakes
			}
			return c, nil
		}})
	if err != nil {
		if errors.Is(err, amqp.ErrSASL) || errors.Is(err, amqp.ErrCredentials) {
			return nil, nil, errorf(KindUpstream, "rabbitmq %s refused the login: check the user and password in url", shown)
		}
		return nil, nil, Fail(ctx, "url", "rabbitmq "+shown, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	return conn, func() {
		if stop() {
			_ = conn.Close()
		}
	}, nil
}

// channel opens a connection and a channel on it.
func (t RabbitTarget) channel(ctx context.Context, g *Guard) (*amqp.Connection, *amqp.Channel, func(), error) {
	conn, done, err := t.dial(ctx, g)
	if err != nil {
		return nil, nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		done()
		return nil, nil, nil, Fail(ctx, "url", "rabbitmq channel", err)
	}
	return conn, ch, done, nil
}

// rabbitFail classifies a broker's answer to an operation on field's object.
func rabbitFail(ctx context.Context, field, what string, err error) error {
	var ae *amqp.Error
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("%s: %s", what, ae.Reason)
		switch ae.Code {
		case amqp.NotFound:
			return &Error{Kind: KindNotFound, Field: field, Message: msg, Err: err}
		case amqp.PreconditionFailed, amqp.ResourceLocked:
			return &Error{Kind: KindConflict, Field: field, Message: msg, Err: err}
		case amqp.AccessRefused, amqp.NotAllowed, amqp.CommandInvalid, amqp.NotImplemented:
			return &Error{Kind: KindInput, Field: field, Message: msg, Err: err}
		}
	}
	return Fail(ctx, "url", what, err)
}

// RabbitPublish is a message to publish.
type RabbitPublish struct {
	Exchange   string `json:"exchange"`
	RoutingKey string `json:"routingKey"`
	// Body: a JSON string is sent as its text, another JSON value as JSON.
	Body json.RawMessage `json:"body"`
	// Headers are the message's headers (any JSON values).
	Headers     map[string]any `json:"headers"`
	ContentType string         `json:"contentType"`
	// Persistent marks the message persistent (default true).
	Persistent    *bool  `json:"persistent"`
	MessageID     string `json:"messageId"`
	CorrelationID string `json:"correlationId"`
	ReplyTo       string `json:"replyTo"`
	Expiration    string `json:"expiration"`
	Priority      uint8  `json:"priority"`
}

// RabbitPublished is the outcome of a publish.
type RabbitPublished struct {
	Status     string `json:"status"`
	Exchange   string `json:"exchange"`
	RoutingKey string `json:"routingKey"`
	// Routed is false when no queue took the message (it was returned).
	Routed bool `json:"routed"`
}

// PublishRabbit publishes one message with a publisher confirm and
// mandatory routing, so an unroutable message is reported.
func PublishRabbit(ctx context.Context, g *Guard, t RabbitTarget, m RabbitPublish) (*RabbitPublished, error) {
	if m.Exchange == "" && m.RoutingKey == "" {
		return nil, Inputf("routingKey", "is required with the default exchange: the queue's name")
	}
	content, isJSON, err := requestBody(m.Body)
	if err != nil {
		return nil, Inputf("body", "%v", err)
	}
	msg := amqp.Publishing{Body: content, ContentType: m.ContentType, DeliveryMode: amqp.Persistent, Timestamp: time.Now(), AppId: "mockarty",
		MessageId: m.MessageID, CorrelationId: m.CorrelationID, ReplyTo: m.ReplyTo, Expiration: m.Expiration, Priority: m.Priority}
	if m.Persistent != nil && !*m.Persistent {
		msg.DeliveryMode = amqp.Transient
	}
	if msg.ContentType == "" && isJSON {
		msg.ContentType = "application/json"
	}
	if len(m.Headers) > 0 {
		msg.Headers = amqpTable(m.Headers)
		if err := msg.Headers.Validate(); err != nil {
			return nil, Inputf("headers", "%v", err)
		}
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := ch.Confirm(false); err != nil {
		return nil, rabbitFail(ctx, "exchange", "rabbitmq confirm mode", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	what := fmt.Sprintf("rabbitmq publish to exchange %q", m.Exchange)
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, m.Exchange, m.RoutingKey, true, false, msg)
	if err != nil {
		return nil, rabbitFail(ctx, "exchange", what, err)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		return nil, rabbitFail(ctx, "exchange", what, err)
	}
	if !acked {
		// A missing exchange closes the channel (told before the nack): its reason is the answer.
		select {
		case e := <-closed:
			if e != nil {
				return nil, rabbitFail(ctx, "exchange", what, e)
			}
		default:
		}
		return nil, errorf(KindUpstream, "%s: the broker did not confirm the message", what)
	}
	out := &RabbitPublished{Status: "published", Exchange: m.Exchange, RoutingKey: m.RoutingKey, Routed: true}
	select {
	case <-returns: // a return comes before the confirm of its message
		out.Routed = false
	default:
	}
	return out, nil
}

// amqpTable turns JSON values into AMQP field values: whole numbers are
// integers, objects tables.
func amqpTable(m map[string]any) amqp.Table {
	out := amqp.Table{}
	for k, v := range m {
		out[k] = amqpValue(v)
	}
	return out
}

func amqpValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return amqpTable(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = amqpValue(e)
		}
		return out
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
	}
	return v
}

// RabbitMessage is a message read from a queue.
type RabbitMessage struct {
	Body            any            `json:"body"`
	BodyEncoding    string         `json:"bodyEncoding,omitempty"`
	ContentType     string         `json:"contentType,omitempty"`
	ContentEncoding string         `json:"contentEncoding,omitempty"`
	Headers         map[string]any `json:"headers"`
	Exchange        string         `json:"exchange"`
	RoutingKey      string         `json:"routingKey"`
	Redelivered     bool           `json:"redelivered"`
	DeliveryMode    uint8          `json:"deliveryMode,omitempty"`
	Priority        uint8          `json:"priority,omitempty"`
	MessageID       string         `json:"messageId,omitempty"`
	CorrelationID   string         `json:"correlationId,omitempty"`
	ReplyTo         string         `json:"replyTo,omitempty"`
	Expiration      string         `json:"expiration,omitempty"`
	Type            string         `json:"type,omitempty"`
	AppID           string         `json:"appId,omitempty"`
	UserID          string         `json:"userId,omitempty"`
	Timestamp       string         `json:"timestamp,omitempty"`
	Size            int            `json:"size"`
}

// RabbitRead is what a read returns.
type RabbitRead struct {
	Messages []RabbitMessage `json:"messages"`
	Count    int             `json:"count"`
	// Acked says the messages were removed; else they were put back.
	Acked bool `json:"acked"`
	// Remaining is the queue's message count after the last read (as the broker said).
	Remaining int `json:"remaining"`
}

// maxRead is the most messages one read takes.
const maxRead = 100

// ReadRabbit takes up to count (default 1, at most 100) messages from a
// queue; unless ack they are put back (and marked redelivered).
func ReadRabbit(ctx context.Context, g *Guard, t RabbitTarget, queue string, count int, ack bool) (*RabbitRead, error) {
	if queue == "" {
		return nil, Inputf("queue", "is required")
	}
	switch {
	case count < 0:
		return nil, Inputf("count", "must be 1-%d (0 or absent: 1)", maxRead)
	case count == 0:
		count = 1
	case count > maxRead:
		count = maxRead
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	what := fmt.Sprintf("rabbitmq read from queue %q", queue)
	out := &RabbitRead{Messages: []RabbitMessage{}, Acked: ack}
	var last uint64
	total := 0
	for len(out.Messages) < count && total < MaxResponse {
		d, ok, err := ch.Get(queue, false)
		if err != nil {
			return nil, rabbitFail(ctx, "queue", what, err)
		}
		if !ok {
			out.Remaining = 0
			break
		}
		last, out.Remaining = d.DeliveryTag, int(d.MessageCount)
		total += len(d.Body)
		out.Messages = append(out.Messages, rabbitMessage(d))
	}
	out.Count = len(out.Messages)
	if last > 0 {
		if ack {
			err = ch.Ack(last, true)
		} else {
			err = ch.Nack(last, true, true)
		}
		if err != nil {
			return nil, rabbitFail(ctx, "queue", what, err)
		}
	}
	return out, nil
}

func rabbitMessage(d amqp.Delivery) RabbitMessage {
	b := bodyOf(d.Body, d.ContentType, false)
	if b.Encoding == "" && d.ContentType == "" && json.Valid(d.Body) && len(bytes.TrimSpace(d.Body)) > 0 {
		b.Value = json.RawMessage(d.Body) // JSON sent without a content type
	}
	m := RabbitMessage{Body: b.Value, BodyEncoding: b.Encoding, ContentType: d.ContentType, ContentEncoding: d.ContentEncoding,
		Headers: map[string]any{}, Exchange: d.Exchange, RoutingKey: d.RoutingKey, Redelivered: d.Redelivered,
		DeliveryMode: d.DeliveryMode, Priority: d.Priority, MessageID: d.MessageId, CorrelationID: d.CorrelationId, ReplyTo: d.ReplyTo,
		Expiration: d.Expiration, Type: d.Type, AppID: d.AppId, UserID: d.UserId, Size: len(d.Body)}
	for k, v := range d.Headers {
		m.Headers[k] = v
	}
	if !d.Timestamp.IsZero() {
		m.Timestamp = d.Timestamp.UTC().Format(time.RFC3339)
	}
	return m
}

// RabbitMetadata is what a broker says of itself.
type RabbitMetadata struct {
	Product          string         `json:"product,omitempty"`
	Version          string         `json:"version,omitempty"`
	Platform         string         `json:"platform,omitempty"`
	Protocol         string         `json:"protocol"`
	ServerProperties map[string]any `json:"serverProperties"`
	Locales          []string       `json:"locales"`
	ChannelMax       int            `json:"channelMax"`
	FrameSize        int            `json:"frameSize"`
	HeartbeatSeconds int            `json:"heartbeatSeconds"`
	Vhost            string         `json:"vhost"`
}

// RabbitServer connects and reports the broker's server properties.
func RabbitServer(ctx context.Context, g *Guard, t RabbitTarget) (*RabbitMetadata, error) {
	conn, done, err := t.dial(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	out := &RabbitMetadata{Protocol: fmt.Sprintf("AMQP 0-%d-1", conn.Minor), ServerProperties: map[string]any{},
		Locales: conn.Locales, ChannelMax: int(conn.Config.ChannelMax), FrameSize: conn.Config.FrameSize,
		HeartbeatSeconds: int(conn.Config.Heartbeat / time.Second), Vhost: conn.Config.Vhost}
	if conn.Major != 0 {
		out.Protocol = fmt.Sprintf("AMQP %d-%d", conn.Major, conn.Minor)
	}
	for k, v := range conn.Properties {
		out.ServerProperties[k] = v
	}
	out.Product, _ = conn.Properties["product"].(string)
	out.Version, _ = conn.Properties["version"].(string)
	out.Platform, _ = conn.Properties["platform"].(string)
	if out.Locales == nil {
		out.Locales = []string{}
	}
	return out, nil
}

// RabbitQueue is a declared queue.
type RabbitQueue struct {
	Name       string         `json:"name"`
	Vhost      string         `json:"vhost,omitempty"`
	Durable    bool           `json:"durable"`
	AutoDelete bool           `json:"autoDelete"`
	Exclusive  bool           `json:"exclusive,omitempty"`
	Type       string         `json:"type,omitempty"`
	State      string         `json:"state,omitempty"`
	Messages   int            `json:"messages"`
	Ready      int            `json:"messagesReady"`
	Unacked    int            `json:"messagesUnacknowledged"`
	Consumers  int            `json:"consumers"`
	Arguments  map[string]any `json:"arguments,omitempty"`
}

// DeclareQueue creates a queue, or checks an existing one has the same
// settings (a different one is a conflict).
func DeclareQueue(ctx context.Context, g *Guard, t RabbitTarget, name string, durable, autoDelete bool, args map[string]any) (*RabbitQueue, error) {
	if name == "" {
		return nil, Inputf("queue", "is required")
	}
	table := amqp.Table(nil)
	if len(args) > 0 {
		table = amqpTable(args)
		if err := table.Validate(); err != nil {
			return nil, Inputf("arguments", "%v", err)
		}
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	q, err := ch.QueueDeclare(name, durable, autoDelete, false, false, table)
	if err != nil {
		return nil, rabbitFail(ctx, "queue", fmt.Sprintf("rabbitmq declare queue %q", name), err)
	}
	return &RabbitQueue{Name: q.Name, Durable: durable, AutoDelete: autoDelete, Messages: q.Messages, Ready: q.Messages,
		Consumers: q.Consumers, Arguments: args}, nil
}

// DeleteQueue deletes a queue and says how many messages went with it.
func DeleteQueue(ctx context.Context, g *Guard, t RabbitTarget, name string, ifUnused, ifEmpty bool) (int, error) {
	if name == "" {
		return 0, Inputf("queue", "is required")
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return 0, err
	}
	defer done()
	n, err := ch.QueueDelete(name, ifUnused, ifEmpty, false)
	if err != nil {
		return 0, rabbitFail(ctx, "queue", fmt.Sprintf("rabbitmq delete queue %q", name), err)
	}
	return n, nil
}

// PurgeQueue empties a queue and says how many messages it dropped.
func PurgeQueue(ctx context.Context, g *Guard, t RabbitTarget, name string) (int, error) {
	if name == "" {
		return 0, Inputf("queue", "is required")
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return 0, err
	}
	defer done()
	n, err := ch.QueuePurge(name, false)
	if err != nil {
		return 0, rabbitFail(ctx, "queue", fmt.Sprintf("rabbitmq purge queue %q", name), err)
	}
	return n, nil
}

// RabbitExchange is a declared exchange.
type RabbitExchange struct {
	Name       string         `json:"name"`
	Vhost      string         `json:"vhost,omitempty"`
	Type       string         `json:"type"`
	Durable    bool           `json:"durable"`
	AutoDelete bool           `json:"autoDelete"`
	Internal   bool           `json:"internal"`
	Arguments  map[string]any `json:"arguments,omitempty"`
}

// DeclareExchange creates an exchange of kind (default direct), or checks
// an existing one has the same settings.
func DeclareExchange(ctx context.Context, g *Guard, t RabbitTarget, e RabbitExchange) (*RabbitExchange, error) {
	if e.Name == "" {
		return nil, Inputf("exchange", "is required")
	}
	if e.Type == "" {
		e.Type = amqp.ExchangeDirect
	}
	switch e.Type {
	case amqp.ExchangeDirect, amqp.ExchangeFanout, amqp.ExchangeTopic, amqp.ExchangeHeaders:
	default:
		if !strings.HasPrefix(e.Type, "x-") { // a plugin's type
			return nil, Inputf("type", "must be direct, fanout, topic, headers or a plugin's x-... type, not %q", e.Type)
		}
	}
	table := amqp.Table(nil)
	if len(e.Arguments) > 0 {
		table = amqpTable(e.Arguments)
		if err := table.Validate(); err != nil {
			return nil, Inputf("arguments", "%v", err)
		}
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := ch.ExchangeDeclare(e.Name, e.Type, e.Durable, e.AutoDelete, e.Internal, false, table); err != nil {
		return nil, rabbitFail(ctx, "exchange", fmt.Sprintf("rabbitmq declare exchange %q", e.Name), err)
	}
	return &e, nil
}

// DeleteExchange deletes an exchange.
func DeleteExchange(ctx context.Context, g *Guard, t RabbitTarget, name string, ifUnused bool) error {
	if name == "" {
		return Inputf("exchange", "is required (the default exchange cannot be deleted)")
	}
	_, ch, done, err := t.channel(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	if err := ch.ExchangeDelete(name, ifUnused, false); err != nil {
		return rabbitFail(ctx, "exchange", fmt.Sprintf("rabbitmq delete exchange %q", name), err)
	}
	return nil
}

// management is a GET on the management API's path under /api/<what>/<vhost>.
func (t RabbitTarget) management(ctx context.Context, g *Guard, what string, into any) error {
	if strings.TrimSpace(t.ManagementURL) == "" {
		return Inputf("managementUrl", "is required to list %s: AMQP 0-9-1 cannot list them, the RabbitMQ management API can (e.g. http://host:15672)", what)
	}
	base, err := parseURL("managementUrl", t.ManagementURL)
	if err != nil {
		return err
	}
	user, pass, vhost := "guest", "guest", "/"
	if strings.TrimSpace(t.URL) != "" {
		uri, err := amqp.ParseURI(strings.TrimSpace(t.URL))
		if err != nil {
			return Inputf("url", "is not an AMQP URL: %v", err)
		}
		user, pass, vhost = uri.Username, uri.Password, uri.Vhost
	}
	if base.User != nil {
		user = base.User.Username()
		pass, _ = base.User.Password()
	}
	if t.Vhost != "" {
		vhost = t.Vhost
	}
	// The vhost is one path segment: "/" is %2F.
	target := strings.TrimRight(base.Scheme+"://"+base.Host+base.EscapedPath(), "/") + "/api/" + what + "/" + url.PathEscape(vhost)
	if err := g.CheckURL(ctx, base); err != nil {
		return Fail(ctx, "managementUrl", "GET "+target, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Inputf("managementUrl", "%v", err)
	}
	req.SetBasicAuth(user, pass)
	req.Header.Set("Accept", "application/json")
	resp, err := g.LimitedClient().Do(req)
	if err != nil {
		return Fail(ctx, "managementUrl", "GET "+target, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return errorf(KindUpstream, "GET %s: the management API refused the credentials (%s)", target, resp.Status)
	case resp.StatusCode == http.StatusNotFound:
		return errorf(KindNotFound, "GET %s: no such virtual host %q (or not a management API)", target, vhost)
	case resp.StatusCode != http.StatusOK:
		return errorf(KindUpstream, "GET %s answered %s", target, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return Fail(ctx, "managementUrl", "GET "+target+": not the management API's JSON", err)
	}
	return nil
}

// ListQueues lists the virtual host's queues through the management API.
func ListQueues(ctx context.Context, g *Guard, t RabbitTarget) ([]RabbitQueue, error) {
	var list []struct {
		Name       string         `json:"name"`
		Vhost      string         `json:"vhost"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Exclusive  bool           `json:"exclusive"`
		Type       string         `json:"type"`
		State      string         `json:"state"`
		Messages   int            `json:"messages"`
		Ready      int            `json:"messages_ready"`
		Unacked    int            `json:"messages_unacknowledged"`
		Consumers  int            `json:"consumers"`
		Arguments  map[string]any `json:"arguments"`
	}
	if err := t.management(ctx, g, "queues", &list); err != nil {
		return nil, err
	}
	out := make([]RabbitQueue, 0, len(list))
	for _, q := range list {
		out = append(out, RabbitQueue{Name: q.Name, Vhost: q.Vhost, Durable: q.Durable, AutoDelete: q.AutoDelete, Exclusive: q.Exclusive,
			Type: q.Type, State: q.State, Messages: q.Messages, Ready: q.Ready, Unacked: q.Unacked, Consumers: q.Consumers, Arguments: q.Arguments})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ListExchanges lists the virtual host's exchanges through the management API.
func ListExchanges(ctx context.Context, g *Guard, t RabbitTarget) ([]RabbitExchange, error) {
	var list []struct {
		Name       string         `json:"name"`
		Vhost      string         `json:"vhost"`
		Type       string         `json:"type"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	}
	if err := t.management(ctx, g, "exchanges", &list); err != nil {
		return nil, err
	}
	out := make([]RabbitExchange, 0, len(list))
	for _, e := range list {
		out = append(out, RabbitExchange{Name: e.Name, Vhost: e.Vhost, Type: e.Type, Durable: e.Durable, AutoDelete: e.AutoDelete,
			Internal: e.Internal, Arguments: e.Arguments})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
