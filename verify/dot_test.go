package verify_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/internal-alb/internal-alb/verify"
	"github.com/internal-alb/internal-alb/verify/fixture"
)

// dotDoc is what the tests read back from a DOT text: each node with the
// clusters it sits in (outermost first), and the edges with their
// attributes.
type dotDoc struct {
	in    map[string][]string
	edges []dotEdge
}

type dotEdge struct{ tail, head, attrs string }

var (
	reSubgraph = regexp.MustCompile(`^subgraph "([^"]+)" \{$`)
	reEdge     = regexp.MustCompile(`^"([^"]+)" -> "([^"]+)" \[(.*)\];$`)
	reNode     = regexp.MustCompile(`^"([^"]+)" \[(.*)\];$`)
)

func parseDOT(t *testing.T, dot string) dotDoc {
	t.Helper()
	d := dotDoc{in: map[string][]string{}}
	var stack []string
	depth := 0
	sc := bufio.NewScanner(strings.NewReader(dot))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "digraph "):
			depth++
		case reSubgraph.MatchString(line):
			stack = append(stack, reSubgraph.FindStringSubmatch(line)[1])
			depth++
		case line == "}":
			depth--
			if len(stack) > 0 && depth >= 1 {
				stack = stack[:len(stack)-1]
			}
		case reEdge.MatchString(line):
			m := reEdge.FindStringSubmatch(line)
			d.edges = append(d.edges, dotEdge{m[1], m[2], m[3]})
		case reNode.MatchString(line):
			id := reNode.FindStringSubmatch(line)[1]
			_, dup := d.in[id]
			require.False(t, dup, "node %s declared twice", id)
			d.in[id] = slices.Clone(stack)
		}
	}
	require.NoError(t, sc.Err())
	require.Zero(t, depth, "unbalanced braces")
	return d
}

var dotOpts = verify.Options{AdminCidrs: []string{"203.0.113.0/24"}}

// The picture is built from the graph and the report alone: the same inputs
// give the same DOT; every edge joins declared nodes (Graphviz would
// otherwise invent one outside every cluster); each node sits in its VPC's
// cluster (instances, ALB nodes and endpoint ENIs in their subnet's, the ALB
// in its VPC's and in no subnet's), and what is outside the VPCs (zones,
// peerings, transit gateways, functions, buckets) in none; each proven path
// is drawn; Graphviz accepts it.
func TestDOTStructure(t *testing.T) {
	for _, v := range fixture.Variants {
		t.Run(v.Name, func(t *testing.T) {
			g := fixture.Load(v.Name)
			r := verify.Check(g, dotOpts)
			dot := verify.DOT(g, &r)
			require.Equal(t, dot, verify.DOT(g, &r), "deterministic")
			again := verify.Check(g, dotOpts)
			require.Equal(t, dot, verify.DOT(g, &again), "deterministic across checks")
			d := parseDOT(t, dot)
			for _, e := range d.edges {
				assert.Contains(t, d.in, e.tail, "edge %s -> %s: undeclared tail", e.tail, e.head)
				assert.Contains(t, d.in, e.head, "edge %s -> %s: undeclared head", e.tail, e.head)
			}
			assertPlacement(t, verify.BuildModel(g), d)

			for _, p := range r.Paths {
				if p.Status != verify.Proven {
					continue
				}
				tip := strconv.Quote(p.ID + " " + p.Status + " " + p.Name)
				tip = tip[1 : len(tip)-1]
				assert.True(t, slices.ContainsFunc(d.edges, func(e dotEdge) bool { return strings.Contains(e.attrs, tip) }),
					"%s %s is drawn", p.ID, p.Name)
			}
			renders(t, dot)
		})
	}
}

func assertPlacement(t *testing.T, m *verify.Model, d dotDoc) {
	t.Helper()
	inside := func(node, cluster string) {
		t.Helper()
		require.Contains(t, d.in, node)
		assert.Contains(t, d.in[node], cluster, "%s is inside %s", node, cluster)
	}
	for _, in := range m.Instances() {
		s := m.Subnets[in.Subnet]
		require.NotNil(t, s, in.Name)
		inside(in.ID, "cluster_"+s.VPC)
		inside(in.ID, "cluster_"+s.ID)
	}
	for _, lb := range m.LoadBalancers() {
		require.NotEmpty(t, lb.Subnets)
		vpc := m.Subnets[lb.Subnets[0]].VPC
		inside(lb.ID, "cluster_"+vpc)
		for _, c := range d.in[lb.ID] {
			assert.Falsef(t, m.Subnets[strings.TrimPrefix(c, "cluster_")] != nil, "the ALB spans its subnets, it is in none (%s)", c)
		}
		for _, sid := range lb.Subnets {
			inside(lb.ID+"@"+sid, "cluster_"+sid)
			inside(lb.ID+"@"+sid, "cluster_"+vpc)
		}
	}
	for _, e := range m.Vpces {
		for _, sid := range e.Subnets {
			inside(e.ID+"@"+sid, "cluster_"+sid)
		}
	}
	outside := func(node string) {
		t.Helper()
		require.Contains(t, d.in, node)
		assert.Empty(t, d.in[node], "%s is outside the VPCs", node)
	}
	for _, z := range m.Zones {
		outside("zone_" + z.ID)
	}
	for id := range m.Peers {
		outside(id)
	}
	for id := range m.TGWs {
		outside(id)
	}
	for _, fn := range m.Funcs {
		outside("fn_" + fn.Name)
	}
	for _, b := range m.BucketList() {
		outside("bucket_" + b.ID)
	}
}

func renders(t *testing.T, dot string) []byte {
	t.Helper()
	out, err := verify.Render(dot, "plain")
	if err == verify.ErrNoDot {
		t.Skip("dot not installed")
	}
	require.NoError(t, err)
	return out
}

// The layout reads left to right: bucket, service VPC (web servers, then
// the ALB), the peering or TGW, the consumer VPC (the client), the Lambda.
func TestDOTLayout(t *testing.T) {
	for _, name := range []string{fixture.Dev, fixture.TransitGateway} {
		t.Run(name, func(t *testing.T) {
			g := fixture.Load(name)
			r := verify.Check(g, dotOpts)
			plain := renders(t, verify.DOT(g, &r))
			x := map[string]float64{}
			for _, line := range strings.Split(string(plain), "\n") {
				f := strings.Fields(line)
				if len(f) > 3 && f[0] == "node" {
					v, err := strconv.ParseFloat(f[2], 64)
					require.NoError(t, err)
					x[strings.Trim(f[1], `"`)] = v
				}
			}
			m := verify.BuildModel(g)
			lb := m.LoadBalancers()[0]
			var gw string
			for id := range m.Peers {
				gw = id
			}
			for id := range m.TGWs {
				gw = id
			}
			require.NotEmpty(t, gw)
			var web, client string
			for _, in := range m.Instances() {
				switch in.Role {
				case "web":
					web = in.ID
				case "client":
					client = in.ID
				}
			}
			order := []string{"bucket_" + m.LogBucket().ID, web, lb.ID, gw, client, "fn_" + m.Funcs[0].Name}
			for i := 1; i < len(order); i++ {
				require.Contains(t, x, order[i-1])
				require.Contains(t, x, order[i])
				assert.Less(t, x[order[i-1]], x[order[i]], "%s left of %s", order[i-1], order[i])
			}
		})
	}
}

// A refused path stays red, drawn along the hops it has: without the
// peering, the client's way to the ALB is refused.
func TestDOTRefusedIsRed(t *testing.T) {
	g := fixture.Default()
	var peering string
	for _, r := range g {
		if strings.Contains(strings.ToLower(r.Type), "vpcpeeringconnection") {
			peering = r.Type
			break
		}
	}
	require.NotEmpty(t, peering)
	g = fixture.RemoveType(g, peering)
	r := verify.Check(g, dotOpts)
	require.NotZero(t, r.Summary.RequiredRefused)
	dot := verify.DOT(g, &r)
	d := parseDOT(t, dot)
	red := slices.ContainsFunc(d.edges, func(e dotEdge) bool {
		return strings.Contains(e.attrs, `color="#d50000"`) && strings.Contains(e.attrs, "P1 REFUSED")
	})
	assert.True(t, red, "P1 drawn red")
	assert.Contains(t, dot, "REFUSED", "the legend names the refused path")
	renders(t, dot)
}

// Without a report the picture is the topology alone; an empty graph gives
// an empty picture; both are valid DOT.
func TestDOTWithoutReport(t *testing.T) {
	g := fixture.Default()
	dot := verify.DOT(g, nil)
	d := parseDOT(t, dot)
	assertPlacement(t, verify.BuildModel(g), d)
	assert.NotContains(t, dot, "PROVEN")
	renders(t, dot)
	empty := verify.Check(nil, dotOpts)
	renders(t, verify.DOT(nil, &empty))
}

// An open forbidden path is red too, from the internet through the
// instance's internet gateway (the report here is made up: the fixture
// leaks nothing).
func TestDOTOpenIsRed(t *testing.T) {
	g := fixture.Default()
	var web *verify.Instance
	for _, in := range verify.BuildModel(g).Instances() {
		if in.Role == "web" {
			web = in
			break
		}
	}
	require.NotNil(t, web)
	r := verify.Report{Paths: []verify.PathResult{{ID: "F3", Kind: "forbidden", Name: "internet → " + web.Name + " (any port)", Status: verify.Reachable, Reason: "every piece lets it through"}}}
	dot := verify.DOT(g, &r)
	d := parseDOT(t, dot)
	require.Contains(t, d.in, "internet")
	assert.Empty(t, d.in["internet"], "the internet is outside the VPCs")
	red := slices.ContainsFunc(d.edges, func(e dotEdge) bool {
		return (e.tail == web.ID || e.head == web.ID) && strings.Contains(e.attrs, `color="#d50000"`)
	})
	assert.True(t, red, "the open path ends red at %s", web.Name)
	if os.Getenv("VERIFY_PICTURE_DIR") != "" {
		png, err := verify.Render(dot, "png")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(os.Getenv("VERIFY_PICTURE_DIR"), "open.png"), png, 0o644))
	}
	renders(t, dot)
}
