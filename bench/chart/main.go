// Command chart draws docs/bench-peers.png from the results CSV that
// bench/peers.sh writes: requests per second against the number of stubs,
// one line per server, both axes on a log scale.
//
//	chart -in results.csv -out docs/bench-peers.png [-title "..."]
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

type series struct {
	key, label string
	color      color.Color
	dashed     bool
	shape      draw.GlyphDrawer
}

var servers = []series{
	{"bare", "bare Fiber handler (the limit; no stubs)", color.RGBA{90, 90, 90, 255}, true, draw.CrossGlyph{}},
	{"mockarty", "Mockarty /stubs", color.RGBA{31, 119, 180, 255}, false, draw.CircleGlyph{}},
	{"plugin", "Mockarty HTTP plugin", color.RGBA{44, 160, 44, 255}, false, draw.SquareGlyph{}},
	{"wiremock", "WireMock", color.RGBA{214, 39, 40, 255}, false, draw.TriangleGlyph{}},
	{"mountebank", "Mountebank", color.RGBA{148, 103, 189, 255}, false, draw.PyramidGlyph{}},
}

func main() {
	in := flag.String("in", "", "results CSV (server,case,n,rps,...,status)")
	out := flag.String("out", "bench-peers.png", "PNG to write")
	title := flag.String("title", "Requests per second against the number of stubs (1 = the static stub case, then a random hit among N)", "chart title")
	sub := flag.String("subtitle", "", "second title line (load and machine)")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	pts := map[string]map[float64]float64{} // server -> stubs -> req/s
	stalled := map[string]string{}
	var ns []float64
	for _, r := range recs[1:] {
		server, kase, status := r[0], r[1], r[9]
		n, _ := strconv.ParseFloat(r[2], 64)
		rps, _ := strconv.ParseFloat(r[3], 64)
		if kase == "static" {
			n = 1
		} else if kase != "random" {
			continue
		}
		if status != "ok" || rps <= 0 {
			if _, seen := stalled[server]; !seen && strings.HasPrefix(status, "stalled") {
				stalled[server] = commas(n)
			}
			continue
		}
		if pts[server] == nil {
			pts[server] = map[float64]float64{}
		}
		pts[server][n] = rps
		if server != "bare" {
			ns = append(ns, n)
		}
	}
	// The bare handler has no stubs: its random-path figure is drawn at
	// every number of stubs the others were measured with.
	if b := pts["bare"]; b != nil {
		var ref float64
		for n, v := range b {
			if n > 1 {
				ref = v
			}
		}
		if ref > 0 {
			for _, n := range ns {
				if n > 1 {
					b[n] = ref
				}
			}
		}
	}

	p := plot.New()
	p.Title.Text = *title
	if *sub != "" {
		p.Title.Text += "\n" + *sub
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = "number of stubs (log scale)"
	p.Y.Label.Text = "requests per second (log scale)"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 1, Label: "1"}, {Value: 10, Label: "10"}, {Value: 100, Label: "100"},
		{Value: 1000, Label: "1,000"}, {Value: 10000, Label: "10,000"}, {Value: 100000, Label: "100,000"}}
	lo, hi := math.Inf(1), 0.0
	for _, m := range pts {
		for _, v := range m {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == 0 {
		log.Fatal("no figures to draw")
	}
	ymin := math.Pow(10, math.Floor(math.Log10(lo)))
	ymax := math.Pow(10, math.Ceil(math.Log10(hi*1.05)))
	var yt plot.ConstantTicks
	for v := ymin; v <= ymax*1.001; v *= 10 {
		yt = append(yt, plot.Tick{Value: v, Label: commas(v)})
		for k := 2.0; k < 10 && v*k < ymax; k++ {
			yt = append(yt, plot.Tick{Value: v * k})
		}
	}
	p.Y.Tick.Marker = yt
	p.X.Min, p.X.Max = 0.7, 200000
	p.Y.Min, p.Y.Max = ymin, ymax
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.Padding = vg.Points(4)
	p.Legend.ThumbnailWidth = vg.Points(30)

	for _, s := range servers {
		m := pts[s.key]
		if len(m) == 0 {
			continue
		}
		var keys []float64
		for n := range m {
			keys = append(keys, n)
		}
		sort.Float64s(keys)
		xys := make(plotter.XYs, len(keys))
		for i, n := range keys {
			xys[i].X, xys[i].Y = n, m[n]
		}
		line, scatter, err := plotter.NewLinePoints(xys)
		if err != nil {
			log.Fatal(err)
		}
		line.Color, line.Width = s.color, vg.Points(2)
		if s.dashed {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		}
		scatter.Color, scatter.Shape, scatter.Radius = s.color, s.shape, vg.Points(4)
		label := s.label
		if at, ok := stalled[s.key]; ok {
			label += " (stalled at " + at + ")"
		}
		p.Add(line, scatter)
		p.Legend.Add(label, line, scatter)
	}
	if err := p.Save(26*vg.Centimeter, 16*vg.Centimeter, *out); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "wrote", *out)
}

func commas(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
