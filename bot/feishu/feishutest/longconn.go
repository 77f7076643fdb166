// Package feishutest fakes Feishu's long connection (feishu.mode:
// websocket) as the SDK's own client (oapi-sdk-go v3.9.2, package ws)
// speaks it, so tests can run the adapter's connection end to end: the
// endpoint lookup, the websocket with its protobuf frames, the client's
// acknowledgements, a connection dropped by the server and the client's
// reconnection.
package feishutest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// Path is where the fake serves the websocket; the endpoint lookup
// answers a URL with this path on the host that was asked.
const Path = "/callback/ws/fake"

// Ack is the client's answer to a delivered event.
type Ack struct {
	MessageID string
	Code      int    // 200 when handled, 500 when the handler failed
	Data      []byte // the handler's answer (a card callback's toast and card)
}

// LongConnection is a fake of Feishu's long-connection service. Mount it
// with Register on the fake Open API's mux (the SDK asks the same base
// URL for both). The zero value is not usable: use New.
type LongConnection struct {
	upgrader websocket.Upgrader
	asked    atomic.Int32

	mu      sync.Mutex
	conn    *websocket.Conn // the current connection, nil when none
	writeMu sync.Mutex      // gorilla allows one writer at a time
	refuse  bool            // the endpoint lookup fails while set

	lookups   chan struct{} // one value per endpoint lookup, refused ones too
	connected chan struct{} // one value per accepted connection
	gone      chan struct{} // one value per connection that ended
	acks      chan Ack
	seq       atomic.Uint64
}

// New returns a fake with no connection yet.
func New() *LongConnection {
	return &LongConnection{
		upgrader:  websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		lookups:   make(chan struct{}, 256),
		connected: make(chan struct{}, 16),
		gone:      make(chan struct{}, 16),
		acks:      make(chan Ack, 64),
	}
}

// Register adds the endpoint lookup and the websocket to mux.
func (l *LongConnection) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+larkws.GenEndpointUri, l.endpoint)
	mux.HandleFunc("GET "+Path, l.serveWS)
}

// Refuse makes endpoint lookups fail (as "system busy", which the client
// retries) until called with false.
func (l *LongConnection) Refuse(refuse bool) {
	l.mu.Lock()
	l.refuse = refuse
	l.mu.Unlock()
}

// Lookups receives a value each time a client asks for the endpoint,
// refused or not (the latest 256 are kept).
func (l *LongConnection) Lookups() <-chan struct{} { return l.lookups }

// Connected receives a value each time a client connects.
func (l *LongConnection) Connected() <-chan struct{} { return l.connected }

// Gone receives a value each time a connection ends, whichever side ended it.
func (l *LongConnection) Gone() <-chan struct{} { return l.gone }

// Acks receives the client's answers to delivered events.
func (l *LongConnection) Acks() <-chan Ack { return l.acks }

func (l *LongConnection) endpoint(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	l.mu.Lock()
	refuse := l.refuse
	l.mu.Unlock()
	select {
	case l.lookups <- struct{}{}:
	default:
	}
	if refuse {
		fmt.Fprint(w, `{"code":1,"msg":"system busy"}`)
		return
	}
	ep := larkws.Endpoint{Url: "ws://" + r.Host + Path + "?device_id=fake-device&service_id=7"}
	// The first lookup configures the client: no random wait before a
	// reconnection, a second between attempts, no pings to speak of. Later
	// lookups leave the configuration alone: the client applies it without
	// a lock while its ping loop reads it.
	if l.asked.Add(1) == 1 {
		ep.ClientConfig = &larkws.ClientConfig{ReconnectCount: -1, ReconnectInterval: 1, PingInterval: 3600}
	}
	_ = json.NewEncoder(w).Encode(larkws.EndpointResp{Code: larkws.OK, Data: &ep})
}

func (l *LongConnection) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := l.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	l.mu.Lock()
	l.conn = conn
	l.mu.Unlock()
	l.connected <- struct{}{}
	defer func() {
		l.mu.Lock()
		if l.conn == conn {
			l.conn = nil
		}
		l.mu.Unlock()
		conn.Close()
		l.gone <- struct{}{}
	}()
	for {
		mt, raw, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.BinaryMessage {
			continue
		}
		var f larkws.Frame
		if f.Unmarshal(raw) != nil {
			continue
		}
		hs := larkws.Headers(f.Headers)
		switch {
		case f.Method == int32(larkws.FrameTypeControl) && hs.GetString(larkws.HeaderType) == string(larkws.MessageTypePing):
			pong := larkws.Frame{Method: int32(larkws.FrameTypeControl), Service: f.Service,
				Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}}}
			_ = l.write(conn, &pong)
		case f.Method == int32(larkws.FrameTypeData):
			var resp larkws.Response
			_ = json.Unmarshal(f.Payload, &resp)
			l.acks <- Ack{MessageID: hs.GetString(larkws.HeaderMessageID), Code: resp.StatusCode, Data: resp.Data}
		}
	}
}

// ErrNotConnected is returned by Send when no client is connected.
var ErrNotConnected = errors.New("feishutest: no client connected")

// Send delivers an event (its 2.0 JSON envelope) to the connected client
// and returns the frame's message id, which its Ack carries.
func (l *LongConnection) Send(event []byte) (string, error) {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn == nil {
		return "", ErrNotConnected
	}
	n := l.seq.Add(1)
	id := "fake-msg-" + strconv.FormatUint(n, 10)
	f := larkws.Frame{SeqID: n, LogID: n, Service: 7, Method: int32(larkws.FrameTypeData), Payload: event,
		Headers: []larkws.Header{
			{Key: larkws.HeaderType, Value: string(larkws.MessageTypeEvent)},
			{Key: larkws.HeaderMessageID, Value: id},
			{Key: larkws.HeaderSum, Value: "1"},
			{Key: larkws.HeaderSeq, Value: "0"},
			{Key: larkws.HeaderTraceID, Value: "fake-trace-" + strconv.FormatUint(n, 10)},
		}}
	return id, l.write(conn, &f)
}

// Drop closes the current connection from the server's side, as Feishu
// does when it moves a client or restarts.
func (l *LongConnection) Drop() {
	l.mu.Lock()
	conn := l.conn
	l.conn = nil
	l.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

func (l *LongConnection) write(conn *websocket.Conn, f *larkws.Frame) error {
	raw, err := f.Marshal()
	if err != nil {
		return err
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	return conn.WriteMessage(websocket.BinaryMessage, raw)
}
