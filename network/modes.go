package network

import (
	"fmt"
	"slices"
	"strings"
)

// NatMode is how many NAT gateways a VPC gets.
type NatMode string

// NAT modes.
const (
	NatNone     NatMode = "none"     // no NAT gateway: private subnets reach S3 through the gateway endpoint only
	NatSingle   NatMode = "single"   // one NAT gateway per VPC, in the first AZ
	NatOnePerAz NatMode = "onePerAz" // one NAT gateway per AZ (AZ-independent egress)
)

// NatModes are the NAT modes, in the order documents list them.
var NatModes = []NatMode{NatNone, NatSingle, NatOnePerAz}

// gateways is how many NAT gateways the mode means in azs AZs.
func (m NatMode) gateways(azs int) int {
	switch m {
	case NatSingle:
		return 1
	case NatOnePerAz:
		return azs
	}
	return 0
}

// Connectivity is how the consumer VPCs reach the service VPC.
type Connectivity string

// Connectivity modes.
const (
	ByPeering        Connectivity = "peering"        // one peering connection per consumer
	ByTransitGateway Connectivity = "transitGateway" // hub-and-spoke route tables on a Transit Gateway
)

// Connectivities are the connectivity modes.
var Connectivities = []Connectivity{ByPeering, ByTransitGateway}

// Sharing is how a Transit Gateway reaches consumers in other accounts
// through AWS RAM.
type Sharing string

// The sharing modes.
const (
	// ShareInOrganization shares with accounts of the stack's organization
	// only, which RAM associates at once when sharing with AWS Organizations
	// is enabled: no invitation, no external principal.
	ShareInOrganization Sharing = "organization"
	// ShareByInvitation allows external principals: each account gets an
	// invitation, which the stack accepts there.
	ShareByInvitation Sharing = "invitation"
)

// Sharings are the sharing modes.
var Sharings = []Sharing{ShareInOrganization, ShareByInvitation}

// AdminAccess is how administrators reach the instances over SSH.
type AdminAccess string

// Admin access modes.
const (
	AdminBastion                 AdminAccess = "bastion"                 // a bastion with a public address in each VPC
	AdminInstanceConnectEndpoint AdminAccess = "instanceConnectEndpoint" // an EC2 Instance Connect Endpoint in each VPC
	AdminNone                    AdminAccess = "none"                    // no SSH path at all
)

// AdminAccesses are the admin access modes.
var AdminAccesses = []AdminAccess{AdminBastion, AdminInstanceConnectEndpoint, AdminNone}

// OneOf returns nil when v is one of valid, else an error listing them.
func OneOf[T ~string](v T, valid []T) error {
	if slices.Contains(valid, v) {
		return nil
	}
	names := make([]string, len(valid))
	for i, x := range valid {
		names[i] = string(x)
	}
	return fmt.Errorf("is not one of %s", strings.Join(names, ", "))
}
