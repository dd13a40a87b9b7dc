package target

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"
)

// GraphQLSchema is the GraphQL API both GraphQL twins serve.
const GraphQLSchema = `
type Query {
  product(id: ID!): Product
  products(search: String): [Product!]!
}
type Mutation {
  addReview(input: ReviewInput!): Review
}
input ReviewInput {
  productId: ID!
  stars: Int!
  text: String
}
type Product {
  id: ID!
  name: String!
  price: Float!
}
type Review {
  id: ID!
  stars: Int!
  text: String
}`

// NewGraphQL is a GraphQL API (a real GraphQL server, introspection on)
// in two twins. The vulnerable one has one planted bug: products(search)
// builds SQL from its argument, so a quote leaks a database error in the
// answer's errors. The clean twin treats the argument as data.
func NewGraphQL(vulnerable bool) http.Handler {
	schema := graphql.MustParseSchema(GraphQLSchema, &gqlRoot{vulnerable: vulnerable}, graphql.UseFieldResolvers())
	mux := http.NewServeMux()
	mux.Handle("/graphql", http.MaxBytesHandler(&relay.Handler{Schema: schema}, MaxBodyBytes))
	return mux
}

type gqlRoot struct{ vulnerable bool }

type gqlProduct struct {
	ID    graphql.ID
	Name  string
	Price float64
}

type gqlReview struct {
	ID    graphql.ID
	Stars int32
	Text  *string
}

var gqlCatalog = []*gqlProduct{{ID: "1", Name: "phone", Price: 199}, {ID: "2", Name: "case", Price: 9.5}}

func (r *gqlRoot) Product(args struct{ ID graphql.ID }) *gqlProduct {
	for _, p := range gqlCatalog {
		if p.ID == args.ID {
			return p
		}
	}
	return nil
}

func (r *gqlRoot) Products(_ context.Context, args struct{ Search *string }) ([]*gqlProduct, error) {
	q := ""
	if args.Search != nil {
		q = *args.Search
	}
	if r.vulnerable && strings.Count(q, "'")%2 == 1 {
		// The planted bug: the argument spliced into SQL text.
		return nil, fmt.Errorf(`pq: unterminated quoted string at or near "'%s"`, q)
	}
	var out []*gqlProduct
	for _, p := range gqlCatalog {
		if strings.Contains(p.Name, q) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (r *gqlRoot) AddReview(args struct {
	Input struct {
		ProductID graphql.ID
		Stars     int32
		Text      *string
	}
}) (*gqlReview, error) {
	if args.Input.Stars < 1 || args.Input.Stars > 5 {
		return nil, errors.New("stars: 1 to 5")
	}
	if r.Product(struct{ ID graphql.ID }{args.Input.ProductID}) == nil {
		return nil, errors.New("no such product")
	}
	return &gqlReview{ID: "r1", Stars: args.Input.Stars, Text: args.Input.Text}, nil
}
