package verify

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/internal-alb/internal-alb/internal/graph"
)

//go:embed prices_ap-northeast-1.json
var pricesJSON []byte

// PriceTable is a region's list prices (see prices_ap-northeast-1.json).
type PriceTable struct {
	Region        string             `json:"region"`
	Currency      string             `json:"currency"`
	HoursPerMonth float64            `json:"hoursPerMonth"`
	Retrieved     string             `json:"retrieved"`
	Source        string             `json:"source"`
	Hourly        map[string]float64 `json:"hourly"`
	Instances     map[string]float64 `json:"instances"`
	PerGBMonth    map[string]float64 `json:"perGBMonth"`
	PerGB         map[string]float64 `json:"perGB"`
	Monthly       map[string]float64 `json:"monthly"`
	PerMillion    map[string]float64 `json:"perMillion"`
}

// DefaultPrices returns the embedded ap-northeast-1 table.
func DefaultPrices() PriceTable {
	var p PriceTable
	if err := json.Unmarshal(pricesJSON, &p); err != nil {
		panic("verify: embedded price table: " + err.Error())
	}
	return p
}

// Usage holds the traffic assumptions behind the per-GB and per-LCU lines.
type Usage struct {
	ALBLcuAverage         float64 `json:"albLcuAverage"`         // average LCUs billed per hour
	NATGBPerGatewayMonth  float64 `json:"natGBPerGatewayMonth"`  // data through each NAT gateway
	TGWGBMonth            float64 `json:"tgwGBMonth"`            // data through the transit gateway
	EndpointGBMonth       float64 `json:"endpointGBMonth"`       // data through each interface endpoint
	PeeringCrossAZGBMonth float64 `json:"peeringCrossAZGBMonth"` // client↔ALB data crossing AZs over peering
	LambdaRequestsMonth   float64 `json:"lambdaRequestsMonth"`
	FlowLogGBPerVPCMonth  float64 `json:"flowLogGBPerVPCMonth"`
	LogGBMonth            float64 `json:"logGBMonth"` // function logs ingested
	DefaultRootGB         float64 `json:"defaultRootGB"`
	// ALBAccessLogGBMonth is each load balancer's access logs (gzipped).
	ALBAccessLogGBMonth float64 `json:"albAccessLogGBMonth"`
	// WebLogGBPerInstanceMonth is what each web server writes to the log bucket.
	WebLogGBPerInstanceMonth float64 `json:"webLogGBPerInstanceMonth"`
	// LogPutRequestsMonth is the PUTs into the log bucket (log files every
	// few minutes from each flow log, ALB node and web server).
	LogPutRequestsMonth float64 `json:"logPutRequestsMonth"`
}

// DefaultUsage is a quiet test stack's traffic.
func DefaultUsage() Usage {
	return Usage{ALBLcuAverage: 1, NATGBPerGatewayMonth: 10, TGWGBMonth: 10, EndpointGBMonth: 1, PeeringCrossAZGBMonth: 10,
		LambdaRequestsMonth: 100000, FlowLogGBPerVPCMonth: 1, LogGBMonth: 0.1, DefaultRootGB: 8,
		ALBAccessLogGBMonth: 0.5, WebLogGBPerInstanceMonth: 0.1, LogPutRequestsMonth: 50000}
}

// CostLine is one resource's monthly cost.
type CostLine struct {
	Resource string  `json:"resource"`
	Type     string  `json:"type"`
	Item     string  `json:"item"`
	Quantity string  `json:"quantity"`
	Monthly  float64 `json:"monthlyUSD"`
	Assumed  bool    `json:"assumed,omitempty"` // depends on a usage assumption
	Log      bool    `json:"log,omitempty"`     // part of the stack's logs (gone with internal-alb:logs false)
}

// CostReport is a monthly estimate.
type CostReport struct {
	Region      string     `json:"region"`
	Source      string     `json:"source"`
	Retrieved   string     `json:"retrieved"`
	Lines       []CostLine `json:"lines"`
	Fixed       float64    `json:"fixedMonthlyUSD"` // hours × rate
	Usage       float64    `json:"usageMonthlyUSD"` // per-GB/LCU/request lines
	Total       float64    `json:"totalMonthlyUSD"`
	Logs        float64    `json:"logsMonthlyUSD"` // the Log lines: what internal-alb:logs false saves
	Assumptions []string   `json:"assumptions"`
	Unpriced    []string   `json:"unpriced,omitempty"`
}

// pricesAndUsage are the options' price table and usage, or the defaults.
func (o Options) pricesAndUsage() (PriceTable, Usage) {
	p, u := DefaultPrices(), DefaultUsage()
	if o.Prices != nil {
		p = *o.Prices
	}
	if o.Usage != nil {
		u = *o.Usage
	}
	return p, u
}

// Estimate prices the graph's resources.
func Estimate(g graph.Graph, o Options) CostReport {
	p, u := o.pricesAndUsage()
	h := p.HoursPerMonth
	if h == 0 {
		h = 730
	}
	m := BuildModel(g)
	c := CostReport{Region: p.Region, Source: p.Source, Retrieved: p.Retrieved}
	var logLine bool // the next add is a log line
	add := func(res, typ, item, qty string, v float64, assumed bool) {
		c.Lines = append(c.Lines, CostLine{Resource: res, Type: typ, Item: item, Quantity: qty, Monthly: round2(v), Assumed: assumed, Log: logLine})
		if assumed {
			c.Usage += v
		} else {
			c.Fixed += v
		}
		if logLine {
			c.Logs += v
		}
	}
	hours := fmt.Sprintf("%.0f h", h)
	for _, lb := range m.lbList {
		add(lb.Name, "ALB", "load balancer hours", hours, h*p.Hourly["alb"], false)
		add(lb.Name, "ALB", "LCU hours", fmt.Sprintf("%.1f LCU × %s", u.ALBLcuAverage, hours), h*u.ALBLcuAverage*p.Hourly["albLcu"], true)
		if !lb.Internal {
			add(lb.Name, "ALB", "public IPv4 (one per AZ)", fmt.Sprintf("%d × %s", len(lb.Subnets), hours), float64(len(lb.Subnets))*h*p.Hourly["publicIpv4"], false)
		}
	}
	for _, in := range m.instList {
		rate, ok := p.Instances[in.Type]
		if !ok {
			c.Unpriced = append(c.Unpriced, fmt.Sprintf("instance %s: type %q not in the price table", in.Name, in.Type))
		}
		add(in.Name, "EC2 "+in.Type, "instance hours", hours, h*rate, false)
		rb := asMapOrFirst(prop(in.Res, "rootBlockDevice"))
		vt := firstNonEmpty(asString(rb["volumeType"]), "gp3")
		size := float64(intOr(rb["volumeSize"], int(u.DefaultRootGB)))
		if r, ok := p.PerGBMonth[vt]; ok {
			add(in.Name, "EBS "+vt, "root volume", fmt.Sprintf("%.0f GB", size), size*r, false)
		} else {
			c.Unpriced = append(c.Unpriced, fmt.Sprintf("instance %s: volume type %q not priced", in.Name, vt))
		}
		if in.PublicIP {
			add(in.Name, "public IPv4", "public address", hours, h*p.Hourly["publicIpv4"], false)
		}
	}
	for _, n := range m.NATs {
		add(n.Name, "NAT gateway", "gateway hours", hours, h*p.Hourly["natGateway"], false)
		add(n.Name, "NAT gateway", "data processed", fmt.Sprintf("%.0f GB", u.NATGBPerGatewayMonth), u.NATGBPerGatewayMonth*p.PerGB["natProcessing"], true)
	}
	for _, e := range m.EIPs {
		if str(e, "instance") == "" { // instance EIPs are counted with the instance
			add(e.Name, "Elastic IP", "public IPv4", hours, h*p.Hourly["publicIpv4"], false)
		}
	}
	for _, a := range valuesByKey(m.Attachs) {
		add(a.Name, "TGW attachment", "attachment hours", hours, h*p.Hourly["tgwAttachment"], false)
	}
	if len(m.Attachs) > 0 {
		add("transit gateway", "TGW", "data processed", fmt.Sprintf("%.0f GB", u.TGWGBMonth), u.TGWGBMonth*p.PerGB["tgwProcessing"], true)
	}
	if len(m.Peers) > 0 {
		add("peering", "VPC peering", "cross-AZ data (both ways)", fmt.Sprintf("%.0f GB", u.PeeringCrossAZGBMonth), 2*u.PeeringCrossAZGBMonth*p.PerGB["crossAzOrPeeringEachWay"], true)
	}
	for _, e := range m.vpceList() {
		if strings.EqualFold(e.Type, "Interface") {
			add(e.Name, "interface endpoint", "ENI hours", fmt.Sprintf("%d AZ × %s", len(e.Subnets), hours), float64(len(e.Subnets))*h*p.Hourly["interfaceEndpointPerAz"], false)
			add(e.Name, "interface endpoint", "data processed", fmt.Sprintf("%.0f GB", u.EndpointGBMonth), u.EndpointGBMonth*p.PerGB["interfaceEndpointProcessing"], true)
		} else {
			add(e.Name, "gateway endpoint", "free", "-", 0, false)
		}
	}
	for _, z := range m.zoneList() {
		add(z.Name, "Route 53 zone", "hosted zone", "1 month", p.Monthly["hostedZone"], false)
	}
	for _, fn := range m.Funcs {
		add(fn.Name, "Lambda", "requests", fmt.Sprintf("%.0f", u.LambdaRequestsMonth), u.LambdaRequestsMonth/1e6*p.PerMillion["lambdaRequests"], true)
	}
	for _, lg := range sortedKeys(m.Logs) {
		add(lg, "CloudWatch Logs", "ingest + storage", fmt.Sprintf("%.1f GB", u.LogGBMonth), u.LogGBMonth*(p.PerGB["cloudwatchLogsIngest"]+p.PerGBMonth["cloudwatchLogsStorage"]), true)
	}
	for _, e := range m.EICEs {
		add(e.Name, "EC2 Instance Connect", "endpoint (free)", "-", 0, false)
	}

	// The stack's logs: each item on its own lines, so that a reader can
	// take any of them away (all of them: internal-alb:logs false).
	logLine = true
	storage := func(b *Bucket, gb float64) (float64, string) {
		months, kept := 1.0, "no expiration: grows by this much every month; one month shown"
		if b != nil && b.ExpireDays > 0 {
			months, kept = float64(b.ExpireDays)/30.4, fmt.Sprintf("%d days kept", b.ExpireDays)
		}
		return gb * months * p.PerGBMonth["s3Standard"], fmt.Sprintf("%.1f GB/month, %s", gb, kept)
	}
	for _, f := range m.FlowLogs {
		res := "flow log " + firstNonEmpty(m.vpcName(f.VPC), f.Name)
		gb := u.FlowLogGBPerVPCMonth
		switch f.DestType {
		case "s3":
			add(res, "flow logs", "vended log delivery to S3", fmt.Sprintf("%.1f GB", gb), gb*p.PerGB["vendedLogsToS3"], true)
			v, q := storage(f.Bucket, gb)
			add(res, "flow logs", "S3 storage", q, v, true)
		default:
			add(res, "flow logs", "delivery + storage in CloudWatch Logs", fmt.Sprintf("%.1f GB", gb), gb*(p.PerGB["flowLogsToCloudWatch"]+p.PerGBMonth["cloudwatchLogsStorage"]), true)
		}
	}
	for _, lb := range m.lbList {
		if !lb.AccessLogs.Enabled {
			continue
		}
		add(lb.Name, "ALB access logs", "delivery (no charge)", "-", 0, false)
		v, q := storage(m.Buckets[lb.AccessLogs.Bucket], u.ALBAccessLogGBMonth)
		add(lb.Name, "ALB access logs", "S3 storage", q, v, true)
	}
	if b := m.LogBucket(); b != nil {
		for _, in := range m.instList {
			if in.Role == "web" {
				v, q := storage(b, u.WebLogGBPerInstanceMonth)
				add(in.Name, "web logs", "S3 storage", q, v, true)
			}
		}
		add(b.Name, "S3 log bucket", "PUT requests", fmt.Sprintf("%.0f", u.LogPutRequestsMonth), u.LogPutRequestsMonth/1e6*p.PerMillion["s3PutRequests"], true)
	}
	logLine = false
	c.Fixed, c.Usage, c.Logs = round2(c.Fixed), round2(c.Usage), round2(c.Logs)
	c.Total = round2(c.Fixed + c.Usage)
	c.Assumptions = []string{
		fmt.Sprintf("%.0f hours a month; on-demand list prices, no free tier, no Savings Plans", h),
		fmt.Sprintf("ALB: %.1f LCU on average", u.ALBLcuAverage),
		fmt.Sprintf("NAT: %.0f GB per gateway; TGW: %.0f GB; interface endpoint: %.0f GB; peering cross-AZ: %.0f GB each way", u.NATGBPerGatewayMonth, u.TGWGBMonth, u.EndpointGBMonth, u.PeeringCrossAZGBMonth),
		fmt.Sprintf("Lambda: %.0f requests, duration within the free tier; logs: %.1f GB", u.LambdaRequestsMonth, u.LogGBMonth),
		"root volumes without a size: " + fmt.Sprint(u.DefaultRootGB) + " GB gp3; S3 gateway endpoint and peering connections have no hourly charge; internet egress not counted",
		fmt.Sprintf("logs: flow logs %.1f GB per VPC, ALB access logs %.1f GB, %.1f GB per web server, %.0f PUTs into the log bucket; S3 storage at steady state under the bucket's lifecycle expiration", u.FlowLogGBPerVPCMonth, u.ALBAccessLogGBMonth, u.WebLogGBPerInstanceMonth, u.LogPutRequestsMonth),
	}
	return c
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// Text renders the estimate, grouped by type.
func (c CostReport) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "COST (%s, USD/month; prices retrieved %s)\n", c.Region, c.Retrieved)
	for _, l := range c.Lines {
		mark := ""
		if l.Assumed {
			mark = " *"
		}
		if l.Log {
			mark += " L"
		}
		fmt.Fprintf(&b, "  %9.2f  %-22s %-28s %s (%s)%s\n", l.Monthly, l.Type, l.Resource, l.Item, l.Quantity, mark)
	}
	fmt.Fprintf(&b, "  %9.2f  fixed (hours × rate)\n  %9.2f  usage (* = assumption)\n  %9.2f  TOTAL\n", c.Fixed, c.Usage, c.Total)
	fmt.Fprintf(&b, "  %9.2f  of which logs (L: flow logs, ALB access logs, web logs, the log bucket)\n  %9.2f  TOTAL with logs off (internal-alb:logs false)\n", c.Logs, round2(c.Total-c.Logs))
	for _, a := range c.Assumptions {
		fmt.Fprintf(&b, "  assumption: %s\n", a)
	}
	for _, u := range c.Unpriced {
		fmt.Fprintf(&b, "  unpriced: %s\n", u)
	}
	return b.String()
}

// ByType sums the estimate by resource type.
func (c CostReport) ByType() map[string]float64 {
	out := map[string]float64{}
	for _, l := range c.Lines {
		out[l.Type] = round2(out[l.Type] + l.Monthly)
	}
	return out
}

// CompareCosts renders several estimates side by side (e.g. default,
// transitGateway, onePerAz NAT), one row per resource type.
func CompareCosts(labels []string, reports []CostReport) string {
	types := map[string]bool{}
	for _, r := range reports {
		for t := range r.ByType() {
			types[t] = true
		}
	}
	var ts []string
	for t := range types {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	var b strings.Builder
	fmt.Fprintf(&b, "%-24s", "USD/month")
	for _, l := range labels {
		fmt.Fprintf(&b, " %16s", l)
	}
	b.WriteString("\n")
	for _, t := range ts {
		fmt.Fprintf(&b, "%-24s", t)
		for _, r := range reports {
			fmt.Fprintf(&b, " %16.2f", r.ByType()[t])
		}
		b.WriteString("\n")
	}
	for _, row := range []struct {
		n string
		f func(CostReport) float64
	}{{"fixed", func(c CostReport) float64 { return c.Fixed }}, {"usage (assumed)", func(c CostReport) float64 { return c.Usage }},
		{"of which logs", func(c CostReport) float64 { return c.Logs }}, {"TOTAL", func(c CostReport) float64 { return c.Total }},
		{"TOTAL with logs off", func(c CostReport) float64 { return round2(c.Total - c.Logs) }}} {
		fmt.Fprintf(&b, "%-24s", row.n)
		for _, r := range reports {
			fmt.Fprintf(&b, " %16.2f", row.f(r))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// flowLogCostNote states what turning flow logs on would cost.
func flowLogCostNote(o Options, vpcs int) string {
	p, u := o.pricesAndUsage()
	per := p.PerGB["vendedLogsToS3"] + p.PerGBMonth["s3Standard"]
	return fmt.Sprintf("flow logs to S3 cost about $%.3f per GB of records (delivery $%.2f + a month's storage $%.3f); at %.1f GB per VPC that is $%.2f/month for %d VPC(s) — volume grows with traffic",
		per, p.PerGB["vendedLogsToS3"], p.PerGBMonth["s3Standard"], u.FlowLogGBPerVPCMonth, per*u.FlowLogGBPerVPCMonth*float64(vpcs), vpcs)
}
