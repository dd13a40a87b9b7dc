package target

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/reflection"
	rpbv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// GRPCProto is the service both gRPC twins serve, with server reflection.
const GRPCProto = `syntax = "proto3";
package shop.v1;

service Catalog {
  rpc Search(SearchRequest) returns (SearchReply);
  rpc GetItem(GetItemRequest) returns (Item);
}
message SearchRequest {
  string query = 1;
  int32 limit = 2;
}
message SearchReply {
  repeated Item items = 1;
}
message GetItemRequest {
  string id = 1;
}
message Item {
  string id = 1;
  string name = 2;
  double price = 3;
}
`

// GRPCServer is a running gRPC twin.
type GRPCServer struct {
	Addr string
	srv  *grpc.Server
}

// Stop stops the server.
func (s *GRPCServer) Stop() { s.srv.Stop() }

// StartGRPC serves the Catalog service on a free loopback port, in two
// twins. The vulnerable one has two planted bugs: Search builds SQL from
// its query, so a quote leaks a database error in the status message;
// GetItem parses its id as a number and answers Internal when it is not
// one. The clean twin answers InvalidArgument to a bad id and treats the
// query as data.
func StartGRPC(vulnerable bool) (*GRPCServer, error) {
	comp := protocompile.Compiler{Resolver: &protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"shop.proto": GRPCProto})}}
	linked, err := comp.Compile(context.Background(), "shop.proto")
	if err != nil {
		return nil, err
	}
	files := &protoregistry.Files{}
	if err := files.RegisterFile(linked[0]); err != nil {
		return nil, err
	}
	sd := linked[0].Services().ByName("Catalog")
	srv := grpc.NewServer()
	c := &catalog{vulnerable: vulnerable}
	desc := grpc.ServiceDesc{ServiceName: string(sd.FullName()), HandlerType: (*any)(nil), Metadata: "shop.proto"}
	for _, name := range []string{"Search", "GetItem"} {
		md := sd.Methods().ByName(protoreflect.Name(name))
		desc.Methods = append(desc.Methods, grpc.MethodDesc{MethodName: name,
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				in := dynamicpb.NewMessage(md.Input())
				if err := dec(in); err != nil {
					return nil, err
				}
				out := dynamicpb.NewMessage(md.Output())
				return out, c.call(name, in, out)
			}})
	}
	srv.RegisterService(&desc, c)
	rpbv1.RegisterServerReflectionServer(srv, reflection.NewServerV1(reflection.ServerOptions{Services: srv, DescriptorResolver: files}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	return &GRPCServer{Addr: ln.Addr().String(), srv: srv}, nil
}

type catalog struct{ vulnerable bool }

// call answers one method: in is its request, out its reply.
func (c *catalog) call(method string, in, out *dynamicpb.Message) error {
	str := func(field string) string {
		return in.Get(in.Descriptor().Fields().ByName(protoreflect.Name(field))).String()
	}
	item := func(m protoreflect.Message, id, name string, price float64) {
		f := m.Descriptor().Fields()
		m.Set(f.ByName("id"), protoreflect.ValueOfString(id))
		m.Set(f.ByName("name"), protoreflect.ValueOfString(name))
		m.Set(f.ByName("price"), protoreflect.ValueOfFloat64(price))
	}
	switch method {
	case "Search":
		q := str("query")
		if c.vulnerable && strings.Count(q, "'")%2 == 1 {
			// The planted bug: the query spliced into SQL text.
			return status.Errorf(codes.Internal, `pq: unterminated quoted string at or near "'%s"`, q)
		}
		if strings.Contains("phone", q) {
			list := out.Mutable(out.Descriptor().Fields().ByName("items")).List()
			e := list.NewElement()
			item(e.Message(), "1", "phone", 199)
			list.Append(e)
		}
		return nil
	case "GetItem":
		id := str("id")
		n, err := strconv.Atoi(id)
		switch {
		case err != nil && c.vulnerable:
			// The planted bug: a failed parse reaches the client as a crash.
			return status.Errorf(codes.Internal, "runtime error: strconv.Atoi: parsing %q: invalid syntax", id)
		case err != nil:
			return status.Errorf(codes.InvalidArgument, "id: a number is needed")
		case n != 1:
			return status.Errorf(codes.NotFound, "no item %d", n)
		}
		item(out, "1", "phone", 199)
		return nil
	}
	return status.Error(codes.Unimplemented, fmt.Sprintf("no method %s", method))
}
