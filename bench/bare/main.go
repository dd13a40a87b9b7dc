// Command bare is the reference limit for the benchmarks: a Fiber server
// that answers every request with fixed bytes and does nothing else.
package main

import (
	"flag"
	"log"

	"github.com/gofiber/fiber/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5790", "listen address")
	body := flag.String("body", `{"message":"Hello, World!"}`, "response body")
	flag.Parse()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	b := []byte(*body)
	app.All("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(b)
	})
	log.Fatal(app.Listen(*addr))
}
