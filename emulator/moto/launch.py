#!/usr/bin/env python3
"""Start moto's server on a loopback port, with the patches this project's
local AWS emulator needs (see emulator/README.md).

Runs with the image's python3 (moto 5.2.1); it installs nothing.

    python3 emulator/moto/launch.py --port 0 --port-file /tmp/moto.port

--port 0 picks a free loopback port; --port-file receives the port once the
patches are applied, just before the server starts listening (poll the URL
to know it is up).
"""

import argparse
import json
import os
import re
import socket
import sys
import threading


def patch_route53_private_zone_from_vpc():
    """(a) A hosted zone created with a VPC is private.

    Real Route 53 (and the Terraform AWS provider, which never sends
    HostedZoneConfig.PrivateZone) decide privacy from the VPC parameter; moto
    5.2.1 only looks at PrivateZone, so the zone came out public and
    associating a second VPC failed with PublicZoneVPCAssociation."""
    from moto.route53 import responses as r53

    original = r53.Route53.create_hosted_zone
    if getattr(original, "_emulator_patched", False):
        return

    def create_hosted_zone(self):
        if self._get_param("VPC.VPCId"):
            plain_get_bool = self._get_bool_param

            def get_bool(name, if_none=None):
                if name == "HostedZoneConfig.PrivateZone":
                    return True
                return plain_get_bool(name, if_none)

            self._get_bool_param = get_bool
            try:
                return original(self)
            finally:
                del self._get_bool_param
        return original(self)

    create_hosted_zone._emulator_patched = True
    r53.Route53.create_hosted_zone = create_hosted_zone


def patch_security_group_rule_owner():
    """(b) Security group rules carry GroupOwnerId, as in AWS.

    moto 5.2.1 leaves GroupOwnerId out of SecurityGroupRule. The Terraform
    AWS provider compares it with ReferencedGroupInfo.UserId and, when they
    differ, reads referenced_security_group_id back as "ACCOUNT/sg-...", so
    every plan showed a change. With the owner present the id stays "sg-..."."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    if not hasattr(SecurityGroupRule, "group_owner_id"):
        SecurityGroupRule.group_owner_id = property(lambda self: self.ec2_backend.account_id)


def patch_security_group_rule_descriptions():
    """(i) Rules that reference a group or a prefix list keep their description.

    moto 5.2.1 answers a rule's Description only from its CIDR range, so a
    rule to another group or to a prefix list came back without one and
    `refresh` showed the description removed. DescribeSecurityGroups, too,
    listed a group's prefix-list rules (IpPermissions[].PrefixListIds) with
    the id only, so after a `refresh` the group's inline ingress/egress had
    such rules without a description (the verifier's SG-DESCRIPTIONS)."""
    from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupRule

    if getattr(SecurityGroupRule.description.fget, "_emulator_patched", False):
        return
    original_init = SecurityGroupRule.__init__
    original_flattened = SecurityGroup._flattened_rules

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        prefix_list = kwargs.get("prefix_list_id", args[7] if len(args) > 7 else None)
        self._prefix_list_description = (prefix_list or {}).get("Description")

    def description(self):
        return (
            self.ip_range.get("Description")
            or self.source_group.get("Description")
            or getattr(self, "_prefix_list_description", None)
        )

    def _flattened_rules(self, rules):
        views = original_flattened(self, rules)
        for view in views:
            for entry in view.prefix_list_ids:
                for rule in rules:
                    if (
                        rule.prefix_list_id == entry.get("PrefixListId")
                        and (rule.ip_protocol, rule.from_port, rule.to_port)
                        == (view.ip_protocol, view.from_port, view.to_port)
                    ):
                        if getattr(rule, "_prefix_list_description", None):
                            entry["Description"] = rule._prefix_list_description
                        break
        return views

    description._emulator_patched = True
    SecurityGroupRule.__init__ = __init__
    SecurityGroupRule.description = property(description)
    SecurityGroup._flattened_rules = _flattened_rules


def patch_instance_groups_from_primary_interface():
    """(j) An instance launched with a network interface spec has its groups.

    The Terraform AWS provider launches an instance through a network
    interface spec when associate_public_ip_address is set, with the groups on
    that interface. AWS reports the primary interface's groups as the
    instance's; moto 5.2.1 reported none, so `refresh` emptied
    vpc_security_group_ids."""
    from moto.ec2.models.instances import Instance

    original = Instance.prep_nics
    if getattr(original, "_emulator_patched", False):
        return

    def prep_nics(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        primary = self.nics.get(0)
        if not self.security_groups and primary is not None:
            self.security_groups = list(primary._group_set)
        return result

    prep_nics._emulator_patched = True
    Instance.prep_nics = prep_nics


def patch_internal_alb_dns_name():
    """(d) Internal load balancers' DNS names start with "internal-", as in AWS."""
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.create_load_balancer
    if getattr(original, "_emulator_patched", False):
        return

    def create_load_balancer(self, *args, **kwargs):
        lb = original(self, *args, **kwargs)
        if lb.scheme == "internal" and not lb.dns_name.startswith("internal-"):
            lb.dns_name = "internal-" + lb.dns_name
        return lb

    create_load_balancer._emulator_patched = True
    ELBv2Backend.create_load_balancer = create_load_balancer


def patch_network_interface_association():
    """(e) A network interface without a public IP has no Association.

    moto 5.2.1 answers an empty Association object for every instance's
    network interface; the Terraform AWS provider reads any Association as
    associate_public_ip_address = true, so an instance created with false in
    a private subnet showed a replacing change on every plan."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    original = NetworkInterface.association
    if getattr(original, "_emulator_patched", False):
        return

    def association(self):
        return original.fget(self) or None

    patched = property(association)
    patched.fget._emulator_patched = True
    NetworkInterface.association = patched


def patch_transit_gateway_default_association():
    """(f) Transit gateway attachments follow the gateway's default-association setting.

    moto 5.2.1 associates every new VPC attachment with the gateway's default
    route table, even when the gateway has DefaultRouteTableAssociation
    "disable"; and that association cannot be removed (disassociating it fails
    inside moto with a server error, which the Terraform provider retries for
    its whole timeout). The default association is made only when enabled, and
    an attachment's Association follows explicit associate/disassociate calls."""
    from moto.ec2.models import EC2Backend

    if getattr(EC2Backend.create_transit_gateway_vpc_attachment, "_emulator_patched", False):
        return
    create_attachment = EC2Backend.create_transit_gateway_vpc_attachment
    associate = EC2Backend.associate_transit_gateway_route_table
    disassociate = EC2Backend.disassociate_transit_gateway_route_table

    def create_transit_gateway_vpc_attachment(self, *args, **kwargs):
        attachment = create_attachment(self, *args, **kwargs)
        gateway = self.transit_gateways.get(attachment.transit_gateway_id)
        default = attachment.transit_gateway_route_table
        if gateway is not None and default is not None and \
                gateway.options.get("DefaultRouteTableAssociation") == "disable":
            self.unset_route_table_association(default.id, tgw_attach_id=attachment.id)
            attachment.transit_gateway_route_table = None
        return attachment

    def associate_transit_gateway_route_table(self, transit_gateway_attachment_id, transit_gateway_route_table_id):
        result = associate(self, transit_gateway_attachment_id, transit_gateway_route_table_id)
        attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        if attachment is not None:
            attachment.transit_gateway_route_table = self.transit_gateways_route_tables[transit_gateway_route_table_id]
        return result

    def disassociate_transit_gateway_route_table(self, tgw_attach_id, tgw_rt_id):
        result = disassociate(self, tgw_attach_id, tgw_rt_id)
        attachment = self.transit_gateway_attachments.get(tgw_attach_id)
        if attachment is not None:
            attachment.transit_gateway_route_table = None
        return result

    for f in (create_transit_gateway_vpc_attachment, associate_transit_gateway_route_table,
              disassociate_transit_gateway_route_table):
        f._emulator_patched = True
    EC2Backend.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment
    EC2Backend.associate_transit_gateway_route_table = associate_transit_gateway_route_table
    EC2Backend.disassociate_transit_gateway_route_table = disassociate_transit_gateway_route_table


def patch_transit_gateway_attachment_deleted_state():
    """(h) A deleted transit gateway VPC attachment stays visible as "deleted".

    AWS keeps a deleted attachment visible, in state "deleted", for a while;
    moto 5.2.1 drops it at once, and the Terraform provider's deletion waiter
    then polls until its timeout. Deleted attachments are kept and shown
    when asked for by id; searches without ids leave them out (so the same
    VPC can be attached again)."""
    from moto.ec2.models import EC2Backend

    if getattr(EC2Backend.delete_transit_gateway_vpc_attachment, "_emulator_patched", False):
        return
    delete = EC2Backend.delete_transit_gateway_vpc_attachment
    describe_vpc = EC2Backend.describe_transit_gateway_vpc_attachments
    describe_any = EC2Backend.describe_transit_gateway_attachments

    def delete_transit_gateway_vpc_attachment(self, transit_gateway_attachment_id):
        attachment = delete(self, transit_gateway_attachment_id)
        attachment.state = "deleted"
        attachment.transit_gateway_route_table = None
        self.transit_gateway_attachments[attachment.id] = attachment
        return attachment

    def hide_deleted(describe):
        def wrapped(self, transit_gateways_attachment_ids=None, filters=None):
            result = describe(self, transit_gateways_attachment_ids=transit_gateways_attachment_ids, filters=filters)
            if not transit_gateways_attachment_ids:
                result = [a for a in result if a.state != "deleted"]
            return result
        wrapped._emulator_patched = True
        return wrapped

    delete_transit_gateway_vpc_attachment._emulator_patched = True
    EC2Backend.delete_transit_gateway_vpc_attachment = delete_transit_gateway_vpc_attachment
    EC2Backend.describe_transit_gateway_vpc_attachments = hide_deleted(describe_vpc)
    EC2Backend.describe_transit_gateway_attachments = hide_deleted(describe_any)


def patch_transit_gateway_attachment_tags():
    """(g) A transit gateway VPC attachment keeps the tags it is created with.

    moto 5.2.1 reads them from the TagSpecification of resource type
    "transit-gateway-route-table" instead of "transit-gateway-attachment", so
    they were lost and every plan wanted to add them again."""
    from moto.ec2.responses.transit_gateway_attachments import TransitGatewayAttachment

    original = TransitGatewayAttachment.create_transit_gateway_vpc_attachment
    if getattr(original, "_emulator_patched", False):
        return

    def create_transit_gateway_vpc_attachment(self):
        plain = self._parse_tag_specification

        def parse(*args, **kwargs):
            specs = dict(plain(*args, **kwargs))
            if "transit-gateway-attachment" in specs:
                specs["transit-gateway-route-table"] = specs["transit-gateway-attachment"]
            return specs

        self._parse_tag_specification = parse
        try:
            return original(self)
        finally:
            del self._parse_tag_specification

    create_transit_gateway_vpc_attachment._emulator_patched = True
    TransitGatewayAttachment.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment


def patch_flow_log_s3_folder():
    """(k) A flow log to S3 may name a folder: arn:aws:s3:::bucket/folder/.

    AWS takes a bucket ARN with an optional folder as a flow log's S3
    destination; moto 5.2.1 looked the whole "bucket/folder/" up as a bucket
    name and answered "LogDestination ... does not exist" (the flow log was
    not created). The bucket is checked by name, and the flow log keeps the
    destination as given."""
    from moto.ec2.exceptions import FlowLogAlreadyExists
    from moto.ec2.models import EC2Backend

    original = EC2Backend.create_flow_logs
    if getattr(original, "_emulator_patched", False):
        return

    def create_flow_logs(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                         log_destination_type, log_destination, log_group_name, log_format,
                         max_aggregation_interval):
        bucket_arn, slash, _ = (log_destination or "").partition("/")
        if log_destination_type != "s3" or not slash:
            return original(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                            log_destination_type, log_destination, log_group_name, log_format,
                            max_aggregation_interval)
        # moto's own duplicate check would compare with the bare bucket ARN.
        for fl in self.describe_flow_logs():
            if fl.resource_id in resource_ids and fl.log_destination == log_destination:
                raise FlowLogAlreadyExists()
        created, unsuccessful = original(self, resource_type, resource_ids, traffic_type,
                                         deliver_logs_permission_arn, log_destination_type, bucket_arn,
                                         log_group_name, log_format, max_aggregation_interval)
        for fl in created:
            fl.log_destination = log_destination
        return created, unsuccessful

    create_flow_logs._emulator_patched = True
    EC2Backend.create_flow_logs = create_flow_logs


def patch_vpc_endpoint_reset_policy():
    """(l) ModifyVpcEndpoint with ResetPolicy restores the full-access policy.

    moto 5.2.1 ignored ResetPolicy, so removing an endpoint's policy (or
    deleting an aws_vpc_endpoint_policy) left the old policy in place."""
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.responses.vpcs import VPCs

    original = VPCs.modify_vpc_endpoint
    if getattr(original, "_emulator_patched", False):
        return

    def modify_vpc_endpoint(self):
        result = original(self)
        if self._get_bool_param("ResetPolicy", False):
            endpoint = self.ec2_backend.describe_vpc_endpoints(
                vpc_end_point_ids=[self._get_param("VpcEndpointId")])[0]
            endpoint.policy_document = json.dumps(VPCEndPoint.DEFAULT_POLICY)
        return result

    modify_vpc_endpoint._emulator_patched = True
    VPCs.modify_vpc_endpoint = modify_vpc_endpoint


def patch_instance_connect_endpoints():
    """(m) EC2 Instance Connect Endpoints: create, describe, delete.

    moto 5.2.1 does not implement them (a server error, which the Terraform
    provider retried until its 10-minute timeout). An endpoint is created
    complete, with a requester-managed network interface in its subnet that
    carries its security groups (the VPC's default group when none is
    given), so group and interface reads see it as in AWS. Deleting removes
    the interface; the endpoint is then shown as delete-complete when asked
    for by id (the provider's deletion waiter expects that) and left out of
    searches. Unknown ids answer InvalidInstanceConnectEndpointId.NotFound."""
    from moto.core.responses import ActionResult
    from moto.ec2 import utils as ec2_utils
    from moto.ec2.exceptions import (EC2ClientError, InvalidSecurityGroupNotFoundError,
                                     InvalidSubnetIdError)
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.responses import EC2Response
    from moto.ec2.utils import add_tag_specification, generic_filter, random_id, random_resource_id
    from moto.core.utils import utcnow

    if getattr(EC2Response, "create_instance_connect_endpoint", None) is not None:
        return
    # CreateTags/DeleteTags validate ids by their prefix.
    ec2_utils.EC2_RESOURCE_TO_PREFIX.setdefault("instance-connect-endpoint", "eice")
    ec2_utils.EC2_PREFIX_TO_RESOURCE.setdefault("eice", "instance-connect-endpoint")

    def not_found(endpoint_id):
        return EC2ClientError("InvalidInstanceConnectEndpointId.NotFound",
                              f"The instance connect endpoint ID '{endpoint_id}' does not exist")

    class InstanceConnectEndpoint(TaggedEC2Resource):
        __module__ = "moto.ec2.models.instance_connect_endpoints"  # moto's model registry keys on it

        def __init__(self, backend, subnet, group_ids, preserve_client_ip, tags):
            self.ec2_backend = backend
            self.id = random_id(prefix="eice", size=17)
            self.subnet = subnet
            self.group_ids = group_ids
            self.preserve_client_ip = preserve_client_ip
            self.state = "create-complete"
            self.created_at = utcnow()
            self.eni = backend.create_network_interface(
                subnet, None, group_ids=group_ids,
                description=f"EC2 Instance Connect Endpoint {self.id}")
            self.eni.interface_type = "ec2_instance_connect_endpoint"
            self.eni.requester_managed = True
            self.add_tags(tags or {})
            self.dns_suffix = random_resource_id(8)

        def view(self, state=None):
            region = self.ec2_backend.region_name
            host = f"{self.id}.{self.dns_suffix}"
            return {
                "OwnerId": self.ec2_backend.account_id,
                "InstanceConnectEndpointId": self.id,
                "InstanceConnectEndpointArn": f"arn:{self.ec2_backend.partition}:ec2:{region}:"
                                              f"{self.ec2_backend.account_id}:instance-connect-endpoint/{self.id}",
                "State": state or self.state,
                "StateMessage": "",
                "DnsName": f"{host}.ec2-instance-connect-endpoint.{region}.amazonaws.com",
                "FipsDnsName": f"{host}.fips.ec2-instance-connect-endpoint.{region}.amazonaws.com",
                "NetworkInterfaceIds": [] if self.state == "delete-complete" else [self.eni.id],
                "VpcId": self.subnet.vpc_id,
                "AvailabilityZone": self.subnet.availability_zone,
                "AvailabilityZoneId": self.subnet.availability_zone_id,
                "CreatedAt": self.created_at,
                "SubnetId": self.subnet.id,
                "PreserveClientIp": self.preserve_client_ip,
                "SecurityGroupIds": list(self.group_ids),
                "Tags": [{"Key": t["key"], "Value": t["value"]} for t in self.get_tags()],
                "IpAddressType": "ipv4",
            }

        def get_filter_value(self, filter_name, method_name=None):
            values = {
                "instance-connect-endpoint-id": self.id,
                "state": self.state,
                "subnet-id": self.subnet.id,
                "vpc-id": self.subnet.vpc_id,
                "availability-zone": self.subnet.availability_zone,
                "owner-id": self.ec2_backend.account_id,
            }
            if filter_name in values:
                return values[filter_name]
            return super().get_filter_value(filter_name, "DescribeInstanceConnectEndpoints")

    def endpoints(backend):
        if not hasattr(backend, "_emulator_instance_connect_endpoints"):
            backend._emulator_instance_connect_endpoints = {}
        return backend._emulator_instance_connect_endpoints

    def create_instance_connect_endpoint(self):
        subnet_id = self._get_param("SubnetId")
        subnet = self.ec2_backend.get_subnet(subnet_id)
        if subnet is None:
            raise InvalidSubnetIdError(subnet_id)
        group_ids = self._get_param("SecurityGroupIds", [])
        for group_id in group_ids:
            if self.ec2_backend.get_security_group_from_id(group_id) is None:
                raise InvalidSecurityGroupNotFoundError(group_id)
        if not group_ids:
            default = self.ec2_backend.get_default_security_group(subnet.vpc_id)
            group_ids = [default.id] if default is not None else []
        tags = add_tag_specification(self._get_param("TagSpecifications", []))
        self.error_on_dryrun()
        endpoint = InstanceConnectEndpoint(self.ec2_backend, subnet, group_ids,
                                           self._get_bool_param("PreserveClientIp", True), tags)
        endpoints(self.ec2_backend)[endpoint.id] = endpoint
        return ActionResult({"InstanceConnectEndpoint": endpoint.view(state="create-in-progress"),
                             "ClientToken": self._get_param("ClientToken")})

    def describe_instance_connect_endpoints(self):
        ids = self._get_param("InstanceConnectEndpointIds", [])
        known = endpoints(self.ec2_backend)
        for endpoint_id in ids:
            if endpoint_id not in known:
                raise not_found(endpoint_id)
        found = [known[i] for i in ids] if ids else \
            [e for e in known.values() if e.state != "delete-complete"]
        found = generic_filter(self._filters_from_querystring(), found)
        return ActionResult({"InstanceConnectEndpoints": [e.view() for e in found]})

    def delete_instance_connect_endpoint(self):
        endpoint_id = self._get_param("InstanceConnectEndpointId")
        endpoint = endpoints(self.ec2_backend).get(endpoint_id)
        if endpoint is None or endpoint.state == "delete-complete":
            raise not_found(endpoint_id)
        self.error_on_dryrun()
        self.ec2_backend.enis.pop(endpoint.eni.id, None)
        endpoint.state = "delete-complete"
        return ActionResult({"InstanceConnectEndpoint": endpoint.view(state="delete-in-progress")})

    EC2Response.create_instance_connect_endpoint = create_instance_connect_endpoint
    EC2Response.describe_instance_connect_endpoints = describe_instance_connect_endpoints
    EC2Response.delete_instance_connect_endpoint = delete_instance_connect_endpoint


def patch_alb_access_logs_check():
    """(n) Enabling an ALB's access logs checks the bucket, as AWS does.

    AWS refuses access_logs.s3.enabled=true unless the bucket exists and lets
    Elastic Load Balancing write under <prefix>/AWSLogs/<account>/ ("Access
    Denied for bucket"), and then writes ELBAccessLogTestFile there. moto
    5.2.1 took any bucket name, so a load balancer set up before its bucket
    policy passed here and failed in AWS. Allowed writers: the region's ELB
    account (any arn:aws:iam::<id>:root), the service principal
    logdelivery.elasticloadbalancing.amazonaws.com, or "*"."""
    from fnmatch import fnmatchcase

    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    original = ELBv2Backend.modify_load_balancer_attributes
    if getattr(original, "_emulator_patched", False):
        return

    def as_list(value):
        return value if isinstance(value, list) else [value]

    def elb_may_write(statement, key_arn):
        if statement.get("Effect") != "Allow":
            return False
        principal = statement.get("Principal")
        if principal != "*":
            principal = principal if isinstance(principal, dict) else {}
            writers = [p for p in as_list(principal.get("AWS", [])) if p == "*" or p.endswith(":root")]
            writers += [s for s in as_list(principal.get("Service", []))
                        if s == "logdelivery.elasticloadbalancing.amazonaws.com"]
            if not writers:
                return False
        actions = as_list(statement.get("Action", []))
        if not any(fnmatchcase("s3:PutObject", a) or a == "*" for a in actions):
            return False
        return any(fnmatchcase(key_arn, r) for r in as_list(statement.get("Resource", [])))

    def modify_load_balancer_attributes(self, arn, attrs):
        balancer = self.load_balancers.get(arn)
        merged = dict(balancer.attrs if balancer is not None else {}, **attrs)
        if balancer is not None and str(merged.get("access_logs.s3.enabled", "")).lower() == "true":
            name = merged.get("access_logs.s3.bucket", "")
            prefix = merged.get("access_logs.s3.prefix", "")
            key = "/".join(p for p in (prefix, "AWSLogs", self.account_id, "ELBAccessLogTestFile") if p)
            denied = ELBClientError("InvalidConfigurationRequest",
                                    f"Access Denied for bucket: {name}. Please check S3bucket permission")
            s3 = s3_backends[self.account_id][self.partition]
            try:
                bucket = s3.get_bucket(name)
            except MissingBucket:
                raise denied
            try:
                policy = json.loads(bucket.policy.decode()) if bucket.policy else {}
            except ValueError:
                policy = {}
            if not any(elb_may_write(st, f"arn:{self.partition}:s3:::{name}/{key}")
                       for st in as_list(policy.get("Statement", []))):
                raise denied
            s3.put_object(name, key, b"Enable AccessLog for ELB: " + arn.encode())
        return original(self, arn, attrs)

    modify_load_balancer_attributes._emulator_patched = True
    ELBv2Backend.modify_load_balancer_attributes = modify_load_balancer_attributes


# Cross-account patches (o)-(s). moto keeps each account's state apart (an
# account is chosen by the credentials of an STS AssumeRole, see
# emulator/README.md); these make the flows where one account acts on, or
# sees, another account's resources behave as in AWS.

_request_account = threading.local()


def patch_account_scoped_ec2_tags():
    """(o) Each account sees its own tags on EC2 resources shared with it.

    In AWS tags belong to the account that sets them: the accepter of a VPC
    peering connection, the owner of a transit gateway that accepts another
    account's attachment, or an account a transit gateway is shared with each
    tag their own view of the resource, and see none of the other side's.
    moto 5.2.1 shows every account the creator's tags (and keeps the other
    account's CreateTags where it never shows them), so the Terraform
    provider's accepter resources read the other side's tags back and every
    plan wanted to change them. Requests are answered with the tags of the
    account that asks."""
    from moto.core.responses import BaseResponse
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.responses import EC2Response

    original_get_tags = TaggedEC2Resource.get_tags
    if getattr(original_get_tags, "_emulator_patched", False):
        return

    def call_action(self):
        _request_account.ec2_backend = self.ec2_backend
        try:
            return BaseResponse.call_action(self)
        finally:
            _request_account.ec2_backend = None

    def get_tags(self):
        viewer = getattr(_request_account, "ec2_backend", None)
        owner = getattr(self, "ec2_backend", None)
        if viewer is not None and owner is not None and getattr(self, "id", None) \
                and viewer.account_id != owner.account_id:
            return viewer.describe_tags(filters={"resource-id": [self.id]})
        return original_get_tags(self)

    call_action._emulator_patched = True
    get_tags._emulator_patched = True
    EC2Response.call_action = call_action
    TaggedEC2Resource.get_tags = get_tags


def patch_route53_cross_account_association():
    """(p) A private zone is associated with another account's VPC, as in AWS.

    AWS: the zone's account authorizes the VPC (CreateVPCAssociationAuthorization,
    listed by ListVPCAssociationAuthorizations, removed by
    DeleteVPCAssociationAuthorization); the VPC's account then calls
    AssociateVPCWithHostedZone (NotAuthorizedException without an
    authorization, InvalidVPCId for a VPC it does not own) and may
    DisassociateVPCFromHostedZone (VPCAssociationNotFound when not
    associated); ListHostedZonesByVPC lists the zones of every account the
    VPC is associated with, each with its OwningAccount. moto 5.2.1 has none
    of the authorization calls (404), looks a zone up in the caller's account
    only (NoSuchHostedZone from the VPC's account) and lists the caller's
    zones only. An association does not need the authorization to stay:
    deleting it afterwards leaves the association, as in AWS."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.core.utils import utcnow
    from moto.ec2.models import ec2_backends
    from moto.route53 import urls as r53_urls
    from moto.route53.exceptions import (LastVPCAssociation, NoSuchHostedZone, PublicZoneVPCAssociation,
                                         Route53ClientError)
    from moto.route53.models import route53_backends
    from moto.route53.responses import Route53

    if getattr(Route53, "create_vpc_association_authorization", None) is not None:
        return
    base = r"{0}/(?P<api_version>[\d_-]+)/hostedzone/(?P<zone_id>[^/]+)"
    r53_urls.url_paths[base + "/authorizevpcassociation$"] = Route53.dispatch
    r53_urls.url_paths[base + "/deauthorizevpcassociation$"] = Route53.dispatch

    def error(code, message):
        return Route53ClientError(code, message)

    def bare(zone_id):
        return (zone_id or "").replace("/hostedzone/", "")

    def owning_backend(zone_id):
        for account_id, per_partition in list(route53_backends.items()):
            backend = dict.get(per_partition, "aws")
            if backend is not None and bare(zone_id) in backend.zones:
                return backend
        return None

    def authorized(zone):
        if not hasattr(zone, "_emulator_authorized_vpcs"):
            zone._emulator_authorized_vpcs = []
        return zone._emulator_authorized_vpcs

    def vpc_param(self):
        vpc_id, region = self._get_param("VPC.VPCId"), self._get_param("VPC.VPCRegion")
        if not vpc_id:
            raise error("InvalidVPCId", "Invalid or missing VPC Id.")
        return vpc_id, region or self.region

    def owns_vpc(account_id, region, vpc_id):
        try:
            return vpc_id in ec2_backends[account_id][region].vpcs
        except KeyError:
            return False

    def change_info(comment=None):
        return {"ChangeInfo": {"Id": "/change/C" + utcnow().strftime("%H%M%S%f"), "Status": "INSYNC",
                               "SubmittedAt": utcnow(), "Comment": comment}}

    def create_vpc_association_authorization(self):
        zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
        vpc_id, region = vpc_param(self)
        entries = authorized(zone)
        if not any(v["VPCId"] == vpc_id for v in entries):
            entries.append({"VPCId": vpc_id, "VPCRegion": region})
        return ActionResult({"HostedZoneId": zone.resource_id, "VPC": {"VPCId": vpc_id, "VPCRegion": region}})

    def list_vpc_association_authorizations(self):
        zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
        return ActionResult({"HostedZoneId": zone.resource_id, "VPCs": list(authorized(zone))})

    def delete_vpc_association_authorization(self):
        zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
        vpc_id, _ = vpc_param(self)
        entries = authorized(zone)
        kept = [v for v in entries if v["VPCId"] != vpc_id]
        if len(kept) == len(entries):
            raise error("VPCAssociationAuthorizationNotFound",
                        f"The VPC {vpc_id} has not been authorized to associate with hosted zone {zone.resource_id}.")
        zone._emulator_authorized_vpcs = kept
        return EmptyResult()

    original_associate = Route53.associate_vpc_with_hosted_zone
    original_disassociate = Route53.disassociate_vpc_from_hosted_zone

    def associate_vpc_with_hosted_zone(self):
        zone_id = self._get_param("HostedZoneId")
        if bare(zone_id) in self.backend.zones:
            return original_associate(self)
        owner = owning_backend(zone_id)
        if owner is None:
            raise NoSuchHostedZone(zone_id)
        vpc_id, region = vpc_param(self)
        if not owns_vpc(self.current_account, region, vpc_id):
            raise error("InvalidVPCId", "The VPC ID that you specified either isn't a valid ID "
                                        "or the current account is not authorized to access this VPC.")
        zone = owner.get_hosted_zone(zone_id)
        if not zone.private_zone:
            raise PublicZoneVPCAssociation()
        if not any(v["VPCId"] == vpc_id for v in authorized(zone)):
            raise error("NotAuthorizedException",
                        f"The hosted zone {zone.resource_id} belongs to another account, which has not "
                        f"authorized an association with VPC {vpc_id} (CreateVPCAssociationAuthorization).")
        if not any(v.get("vpc_id") == vpc_id for v in zone.vpcs):
            zone.add_vpc(vpc_id, region)
        return ActionResult(change_info(self._get_param("Comment")))

    def disassociate_vpc_from_hosted_zone(self):
        zone_id = self._get_param("HostedZoneId")
        if bare(zone_id) in self.backend.zones:
            return original_disassociate(self)
        owner = owning_backend(zone_id)
        if owner is None:
            raise NoSuchHostedZone(zone_id)
        vpc_id, region = vpc_param(self)
        if not owns_vpc(self.current_account, region, vpc_id):
            raise error("NotAuthorizedException",
                        f"Only the owner of hosted zone {bare(zone_id)} or of VPC {vpc_id} may disassociate them.")
        zone = owner.get_hosted_zone(zone_id)
        if not any(v.get("vpc_id") == vpc_id for v in zone.vpcs):
            raise error("VPCAssociationNotFound",
                        f"The VPC {vpc_id} is not associated with hosted zone {zone.resource_id}.")
        if len(zone.vpcs) <= 1:
            raise LastVPCAssociation()
        zone.delete_vpc(vpc_id)
        return ActionResult(change_info(self._get_param("Comment")))

    def list_hosted_zones_by_vpc(self):
        vpc_id = self._get_param("VPCId")
        region = self._get_param("VPCRegion")
        summaries = []
        for account_id, per_partition in list(route53_backends.items()):
            backend = dict.get(per_partition, "aws")
            if backend is None:
                continue
            for zone in list(backend.zones.values()):
                if zone.private_zone and any(v.get("vpc_id") == vpc_id and
                                             (not region or v.get("vpc_region") in (None, region))
                                             for v in zone.vpcs):
                    summaries.append({"HostedZoneId": zone.resource_id, "Name": zone.name,
                                      "Owner": {"OwningAccount": backend.account_id}})
        return ActionResult({"HostedZoneSummaries": summaries})

    Route53.create_vpc_association_authorization = create_vpc_association_authorization
    Route53.list_vpc_association_authorizations = list_vpc_association_authorizations
    Route53.delete_vpc_association_authorization = delete_vpc_association_authorization
    Route53.associate_vpc_with_hosted_zone = associate_vpc_with_hosted_zone
    Route53.disassociate_vpc_from_hosted_zone = disassociate_vpc_from_hosted_zone
    Route53.list_hosted_zones_by_vpc = list_hosted_zones_by_vpc


def _ram_associations(share):
    """The associations of a RAM share: (PRINCIPAL|RESOURCE, entity) -> record."""
    if not hasattr(share, "_emulator_associations"):
        share._emulator_associations = {}
    return share._emulator_associations


_sync_lock = threading.Lock()


def _sync_shared_transit_gateways():
    """Shows each account the transit gateways RAM shares with it: a gateway
    whose share is active, with the gateway ASSOCIATED as a resource and the
    account ASSOCIATED as a principal (for an account outside the owner's
    organization: once it accepted the invitation). Used by (q) and (r).

    moto's server answers requests on threads, and each sync recomputes
    every account's view from the shares, then removes what it did not
    see: two at once (two accounts accepting their invitations together)
    could let the first remove the gateway the second had just shown. One
    sync at a time, each after its own change, leaves the last one's view,
    which includes every change made before it."""
    with _sync_lock:
        _sync_shared_transit_gateways_locked()


def _sync_shared_transit_gateways_locked():
    from moto.ec2.models import ec2_backends
    from moto.ram.models import ram_backends

    visible = {}
    for owner_id, per_region in list(ram_backends.items()):
        for region, ram in list(dict.items(per_region)):
            for share in list(ram.resource_shares):
                if share.status != "ACTIVE":
                    continue
                assoc = _ram_associations(share)
                accounts = [entity for (kind, entity), rec in assoc.items()
                            if kind == "PRINCIPAL" and rec["status"] == "ASSOCIATED" and entity.isdigit()]
                owner_ec2 = dict.get(dict.get(ec2_backends, owner_id) or {}, region)
                if owner_ec2 is None:
                    continue
                for (kind, arn), rec in assoc.items():
                    if kind != "RESOURCE" or rec["status"] != "ASSOCIATED" or ":transit-gateway/" not in arn:
                        continue
                    gateway = owner_ec2.transit_gateways.get(arn.rsplit("/", 1)[-1])
                    if gateway is None or gateway.ec2_backend is not owner_ec2:
                        continue
                    for account in accounts:
                        if account != owner_id:
                            visible.setdefault((account, region), {})[gateway.id] = gateway
    for account, per_region in list(ec2_backends.items()):
        for region, backend in list(dict.items(per_region)):
            shown = visible.get((account, region), {})
            for gateway_id, gateway in list(backend.transit_gateways.items()):
                if gateway.ec2_backend is not backend and gateway_id not in shown:
                    del backend.transit_gateways[gateway_id]
    for (account, region), gateways in visible.items():
        ec2_backends[account][region].transit_gateways.update(gateways)


def patch_ram_cross_account_sharing():
    """(q) RAM shares reach other accounts as in AWS, invitations included.

    moto 5.2.1 has no AssociateResourceShare, DisassociateResourceShare,
    GetResourceShareInvitations, AcceptResourceShareInvitation, ListResources,
    ListResourceSharePermissions, TagResource or UntagResource (404); it
    reports every association ASSOCIATED, ignores GetResourceShares'
    resourceShareArns and answers OTHER-ACCOUNTS with an error; and sharing
    changes nothing in the other account. As AWS does for an account that is
    not in the owner's organization (moto's accounts are in none): a share that
    does not allow external principals refuses it (OperationNotPermittedException);
    otherwise its association is ASSOCIATING and the account gets a PENDING
    invitation; once it accepts, the association is ASSOCIATED, the share is
    listed to it as OTHER-ACCOUNTS (with ListResources), and a shared transit
    gateway appears in its DescribeTransitGateways (and can be attached to and
    routed to). Disassociating (the owner, or the account leaving) or deleting
    the share takes the gateway away again. A resource must exist in the
    owner's account to be shared (UnknownResourceException); each resource
    type brings its default managed permission (ListResourceSharePermissions).
    Sharing through an organization (no invitation) is not modelled."""
    import uuid

    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import unix_time, utcnow
    from moto.ec2.models import EC2Backend, ec2_backends
    from moto.ram import urls as ram_urls
    from moto.ram.exceptions import InvalidParameterException, UnknownResourceException
    from moto.ram.models import ResourceShare, ram_backends
    from moto.ram.responses import ResourceAccessManagerResponse as Ram

    if getattr(Ram, "associate_resource_share", None) is not None:
        return
    for action in ("associateresourceshare", "disassociateresourceshare", "getresourceshareinvitations",
                   "acceptresourceshareinvitation", "listresources", "listresourcesharepermissions",
                   "tagresource", "untagresource"):
        ram_urls.url_paths["{0}/" + action + "$"] = Ram.dispatch

    class RamError(JsonRESTError):
        code = 400

    resource_types = {"transit-gateway": "ec2:TransitGateway", "subnet": "ec2:Subnet",
                      "prefix-list": "ec2:PrefixList"}

    def resource_type(arn):
        service, kind = arn.split(":")[2], re.split(r"[/:]", arn.split(":", 5)[5])[0]
        return resource_types.get(kind, service + ":" + "".join(w.title() for w in kind.split("-")))

    def now():
        return unix_time(utcnow())

    def params(self):
        return self.request_params

    def all_shares():
        for owner_id, per_region in list(ram_backends.items()):
            for region, ram in list(dict.items(per_region)):
                for share in list(ram.resource_shares):
                    yield share

    def find_share(arn):
        for share in all_shares():
            if share.arn == arn:
                return share
        return None

    def own_share(self, arn):
        for share in self.ram_backend.resource_shares:
            if share.arn == arn:
                return share
        raise UnknownResourceException(f"ResourceShare {arn} could not be found.")

    def invitations(share):
        if not hasattr(share, "_emulator_invitations"):
            share._emulator_invitations = []
        return share._emulator_invitations

    def tags(share):
        if not hasattr(share, "_emulator_tags"):
            share._emulator_tags = {}
        return share._emulator_tags

    def view(share):
        out = share.describe()
        out["tags"] = [{"key": k, "value": v} for k, v in tags(share).items()]
        return out

    def external(share, principal):
        return principal.isdigit() and principal != share.owning_account_id

    def associate_principal(share, principal):
        record = _ram_associations(share).get(("PRINCIPAL", principal))
        if record is not None and record["status"] in ("ASSOCIATED", "ASSOCIATING"):
            return record
        if external(share, principal) and not share.allow_external_principals:
            raise RamError("OperationNotPermittedException",
                           f"The resource share {share.arn} does not allow external principals, and "
                           f"account {principal} is not in the owner's organization.")
        share.add_principals([principal])  # moto's validation of the principal's form
        stamp = now()
        record = {"status": "ASSOCIATED", "external": False, "creationTime": stamp, "lastUpdatedTime": stamp}
        if external(share, principal):
            record.update(status="ASSOCIATING", external=True)
            invitations(share).append({
                "resourceShareInvitationArn": f"arn:{share.partition}:ram:{share.region}:{share.owning_account_id}:"
                                              f"resource-share-invitation/{uuid.uuid4()}",
                "resourceShareName": share.name,
                "resourceShareArn": share.arn,
                "senderAccountId": share.owning_account_id,
                "receiverAccountId": principal,
                "invitationTimestamp": stamp,
                "status": "PENDING",
            })
        _ram_associations(share)[("PRINCIPAL", principal)] = record
        return record

    def associate_resource(share, arn):
        share.add_resources([arn])  # moto's validation of the ARN and its type
        if ":transit-gateway/" in arn:
            owner_ec2 = ec2_backends[share.owning_account_id][share.region]
            gateway = owner_ec2.transit_gateways.get(arn.rsplit("/", 1)[-1])
            if gateway is None or gateway.ec2_backend is not owner_ec2 or arn.split(":")[4] != share.owning_account_id:
                raise UnknownResourceException(f"The resource {arn} could not be found.")
        stamp = now()
        record = {"status": "ASSOCIATED", "external": False, "creationTime": stamp, "lastUpdatedTime": stamp}
        _ram_associations(share)[("RESOURCE", arn)] = record
        return record

    def disassociate(share, kind, entity):
        record = _ram_associations(share).get((kind, entity))
        if record is not None:
            record.update(status="DISASSOCIATED", lastUpdatedTime=now())
        if kind == "PRINCIPAL":
            share._emulator_invitations = [i for i in invitations(share)
                                           if not (i["receiverAccountId"] == entity and i["status"] == "PENDING")]

    def association_view(share, kind, entity, record, status=None):
        return {"resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": entity,
                "associationType": kind, "status": status or record["status"],
                "creationTime": record["creationTime"], "lastUpdatedTime": record["lastUpdatedTime"],
                "external": record["external"]}

    def shared_with(share, account):
        record = _ram_associations(share).get(("PRINCIPAL", account))
        return share.status == "ACTIVE" and record is not None and record["status"] == "ASSOCIATED"

    def create_resource_share(self):
        body = params(self)
        share = ResourceShare(self.current_account, self.region, **{
            "name": body.get("name"), "allowExternalPrincipals": body.get("allowExternalPrincipals", True)})
        for principal in body.get("principals", []):
            if external(share, principal) and not share.allow_external_principals:
                associate_principal(share, principal)  # raises, before anything is kept
        for principal in body.get("principals", []):
            associate_principal(share, principal)
        for arn in body.get("resourceArns", []):
            associate_resource(share, arn)
        tags(share).update({t["key"]: t.get("value", "") for t in body.get("tags", [])})
        self.ram_backend.resource_shares.append(share)
        _sync_shared_transit_gateways()
        return json.dumps({"resourceShare": view(share), "clientToken": body.get("clientToken")})

    def get_resource_shares(self):
        body = params(self)
        owner = body.get("resourceOwner")
        if owner not in ("SELF", "OTHER-ACCOUNTS"):
            raise InvalidParameterException(f"{owner} is not a valid resource owner. "
                                            "Specify either SELF or OTHER-ACCOUNTS and try again.")
        arns, status, name = body.get("resourceShareArns"), body.get("resourceShareStatus"), body.get("name")
        if owner == "SELF":
            shares = list(self.ram_backend.resource_shares)
        else:
            shares = [s for s in all_shares() if s.owning_account_id != self.current_account
                      and s.region == self.region and shared_with(s, self.current_account)]
        shares = [s for s in shares if (not arns or s.arn in arns) and (not status or s.status == status)
                  and (not name or s.name == name)]
        return json.dumps({"resourceShares": [view(s) for s in shares]})

    original_delete = Ram.delete_resource_share

    def delete_resource_share(self):
        result = original_delete(self)
        share = own_share(self, self._get_param("resourceShareArn"))
        for (kind, entity) in list(_ram_associations(share)):
            disassociate(share, kind, entity)
        _sync_shared_transit_gateways()
        return result

    def associate_resource_share(self):
        body = params(self)
        share = own_share(self, body.get("resourceShareArn"))
        if share.status != "ACTIVE":
            raise UnknownResourceException(f"ResourceShare {share.arn} could not be found.")
        out = []
        for principal in body.get("principals", []):
            out.append(association_view(share, "PRINCIPAL", principal, associate_principal(share, principal)))
        for arn in body.get("resourceArns", []):
            out.append(association_view(share, "RESOURCE", arn, associate_resource(share, arn)))
        _sync_shared_transit_gateways()
        return json.dumps({"resourceShareAssociations": out, "clientToken": body.get("clientToken")})

    def disassociate_resource_share(self):
        body = params(self)
        arn, principals, resources = body.get("resourceShareArn"), body.get("principals", []), body.get("resourceArns", [])
        share = find_share(arn)
        leaving = share is not None and share.owning_account_id != self.current_account and \
            principals == [self.current_account] and not resources and shared_with(share, self.current_account)
        if share is None or (share.owning_account_id != self.current_account and not leaving):
            raise UnknownResourceException(f"ResourceShare {arn} could not be found.")
        out = []
        for kind, entities in (("PRINCIPAL", principals), ("RESOURCE", resources)):
            for entity in entities:
                disassociate(share, kind, entity)
                record = _ram_associations(share).get((kind, entity))
                if record is not None:
                    out.append(association_view(share, kind, entity, record, status="DISASSOCIATING"))
        _sync_shared_transit_gateways()
        return json.dumps({"resourceShareAssociations": out, "clientToken": body.get("clientToken")})

    def get_resource_share_associations(self):
        body = params(self)
        kind, status = body.get("associationType"), body.get("associationStatus")
        arns, resource, principal = body.get("resourceShareArns"), body.get("resourceArn"), body.get("principal")
        if kind not in ("PRINCIPAL", "RESOURCE"):
            raise InvalidParameterException(f"{kind} is not a valid association type. "
                                            "Specify either PRINCIPAL or RESOURCE and try again.")
        if kind == "PRINCIPAL" and resource:
            raise InvalidParameterException("You cannot specify a resource ARN when the association type is PRINCIPAL.")
        if kind == "RESOURCE" and principal:
            raise InvalidParameterException("You cannot specify a principal when the association type is RESOURCE.")
        wanted = principal if kind == "PRINCIPAL" else resource
        out = []
        for share in self.ram_backend.resource_shares:
            if arns and share.arn not in arns:
                continue
            for (k, entity), record in _ram_associations(share).items():
                if k == kind and (not wanted or entity == wanted) and (not status or record["status"] == status):
                    out.append(association_view(share, k, entity, record))
        return json.dumps({"resourceShareAssociations": out})

    def received_invitations(self):
        for share in all_shares():
            for invitation in invitations(share):
                if invitation["receiverAccountId"] == self.current_account:
                    yield share, invitation

    def invitation_not_found(arn):
        return RamError("ResourceShareInvitationArnNotFoundException",
                        f"ResourceShareInvitation {arn} could not be found.")

    def get_resource_share_invitations(self):
        body = params(self)
        by_arn, by_share = body.get("resourceShareInvitationArns"), body.get("resourceShareArns")
        found = [i for _, i in received_invitations(self)
                 if (not by_arn or i["resourceShareInvitationArn"] in by_arn)
                 and (not by_share or i["resourceShareArn"] in by_share)]
        for arn in by_arn or []:
            if not any(i["resourceShareInvitationArn"] == arn for i in found):
                raise invitation_not_found(arn)
        return json.dumps({"resourceShareInvitations": found})

    def accept_resource_share_invitation(self):
        body = params(self)
        arn = body.get("resourceShareInvitationArn")
        for share, invitation in received_invitations(self):
            if invitation["resourceShareInvitationArn"] != arn:
                continue
            if invitation["status"] == "ACCEPTED":
                raise RamError("ResourceShareInvitationAlreadyAcceptedException",
                               f"ResourceShareInvitation {arn} has already been accepted.")
            if invitation["status"] != "PENDING" or share.status != "ACTIVE":
                raise RamError("ResourceShareInvitationExpiredException",
                               f"ResourceShareInvitation {arn} is no longer pending.")
            invitation["status"] = "ACCEPTED"
            record = _ram_associations(share)[("PRINCIPAL", self.current_account)]
            record.update(status="ASSOCIATED", lastUpdatedTime=now())
            _sync_shared_transit_gateways()
            return json.dumps({"resourceShareInvitation": invitation, "clientToken": body.get("clientToken")})
        raise invitation_not_found(arn)

    def list_resources(self):
        body = params(self)
        owner = body.get("resourceOwner")
        if owner not in ("SELF", "OTHER-ACCOUNTS"):
            raise InvalidParameterException(f"{owner} is not a valid resource owner. "
                                            "Specify either SELF or OTHER-ACCOUNTS and try again.")
        share_arns, arns = body.get("resourceShareArns"), body.get("resourceArns")
        rtype, principal = body.get("resourceType"), body.get("principal")
        if owner == "SELF":
            shares = [s for s in self.ram_backend.resource_shares if s.status == "ACTIVE"
                      and (not principal or shared_with(s, principal))]
        else:
            shares = [s for s in all_shares() if s.owning_account_id != self.current_account
                      and s.region == self.region and shared_with(s, self.current_account)]
        out = []
        for share in shares:
            if share_arns and share.arn not in share_arns:
                continue
            for (kind, arn), record in _ram_associations(share).items():
                if kind != "RESOURCE" or record["status"] != "ASSOCIATED" or (arns and arn not in arns) \
                        or (rtype and resource_type(arn).lower() != rtype.lower()):
                    continue
                out.append({"arn": arn, "type": resource_type(arn), "resourceShareArn": share.arn,
                            "status": "AVAILABLE", "creationTime": record["creationTime"],
                            "lastUpdatedTime": record["lastUpdatedTime"], "resourceRegionScope": "REGIONAL"})
        return json.dumps({"resources": out})

    def list_resource_share_permissions(self):
        arn = params(self).get("resourceShareArn")
        share = find_share(arn)
        if share is None or (share.owning_account_id != self.current_account
                             and not shared_with(share, self.current_account)):
            raise UnknownResourceException(f"ResourceShare {arn} could not be found.")
        out, seen = [], set()
        for (kind, entity), record in _ram_associations(share).items():
            rtype = resource_type(entity) if kind == "RESOURCE" and record["status"] == "ASSOCIATED" else None
            if rtype is None or rtype in seen:
                continue
            seen.add(rtype)
            name = "AWSRAMDefaultPermission" + rtype.split(":", 1)[1]
            out.append({"arn": f"arn:{share.partition}:ram::aws:permission/{name}", "version": "1",
                        "defaultVersion": True, "name": name, "resourceType": rtype, "status": "ASSOCIATED",
                        "creationTime": record["creationTime"], "lastUpdatedTime": record["lastUpdatedTime"],
                        "isResourceTypeDefault": True, "permissionType": "AWS_MANAGED", "featureSet": "STANDARD"})
        return json.dumps({"permissions": out})

    def tag_resource(self):
        body = params(self)
        share = own_share(self, body.get("resourceShareArn"))
        tags(share).update({t["key"]: t.get("value", "") for t in body.get("tags", [])})
        return json.dumps({})

    def untag_resource(self):
        body = params(self)
        share = own_share(self, body.get("resourceShareArn"))
        for key in body.get("tagKeys", []):
            tags(share).pop(key, None)
        return json.dumps({})

    delete_gateway = EC2Backend.delete_transit_gateway

    def delete_transit_gateway(self, transit_gateway_id):
        gateway = delete_gateway(self, transit_gateway_id)
        _sync_shared_transit_gateways()
        return gateway

    for f in (create_resource_share, get_resource_shares, delete_resource_share, associate_resource_share,
              disassociate_resource_share, get_resource_share_associations, get_resource_share_invitations,
              accept_resource_share_invitation, list_resources, list_resource_share_permissions,
              tag_resource, untag_resource):
        setattr(Ram, f.__name__, f)
    EC2Backend.delete_transit_gateway = delete_transit_gateway


def patch_transit_gateway_shared_attachments():
    """(r) Another account attaches its VPC to a shared transit gateway, as in AWS.

    The account a gateway is shared with (see (q)) creates the VPC
    attachment; it belongs to that account (VpcOwnerId, ResourceOwnerId) and
    is visible to both, with the gateway's owner as TransitGatewayOwnerId. If
    the gateway's AutoAcceptSharedAttachments is not "enable" it waits in
    pendingAcceptance until the gateway's owner calls
    AcceptTransitGatewayVpcAttachment (moto 5.2.1 has no such call); the
    default route table association and propagation, when the gateway enables
    them, are made in the owner's account on acceptance. Only the gateway's
    owner may accept (InvalidParameterValue), and only a pending attachment
    (IncorrectState). Either side may delete it; the owner's route tables
    then forget it. moto 5.2.1 could not attach to another account's gateway
    at all (InvalidTransitGatewayID.NotFound), and reported the attachment's
    own account as TransitGatewayOwnerId."""
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import DuplicateTransitGatewayAttachmentError, EC2ClientError, InvalidTransitGatewayID
    from moto.ec2.models import EC2Backend, ec2_backends
    from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachment, TransitGatewayVpcAttachment
    from moto.ec2.responses import EC2Response

    if getattr(EC2Response, "accept_transit_gateway_vpc_attachment", None) is not None:
        return
    create = EC2Backend.create_transit_gateway_vpc_attachment
    delete = EC2Backend.delete_transit_gateway_vpc_attachment

    def transit_gateway_owner_id(self):
        return getattr(self, "_emulator_transit_gateway_owner_id", None) or self.resource_owner_id

    def apply_gateway_defaults(owner, attachment, gateway):
        options = gateway.options
        if options.get("DefaultRouteTableAssociation") == "enable" and options.get("AssociationDefaultRouteTableId"):
            owner.associate_transit_gateway_route_table(attachment.id, options["AssociationDefaultRouteTableId"])
        if options.get("DefaultRouteTablePropagation") == "enable" and options.get("PropagationDefaultRouteTableId"):
            owner.enable_transit_gateway_route_table_propagation(attachment.id, options["PropagationDefaultRouteTableId"])

    def create_transit_gateway_vpc_attachment(self, transit_gateway_id, vpc_id, subnet_ids, tags=None, options=None):
        gateway = self.transit_gateways.get(transit_gateway_id)
        if gateway is None or gateway.ec2_backend is self:
            return create(self, transit_gateway_id=transit_gateway_id, vpc_id=vpc_id, subnet_ids=subnet_ids,
                          tags=tags, options=options)
        if self.describe_transit_gateway_vpc_attachments(
                filters={"transit-gateway-id": [transit_gateway_id], "vpc-id": [vpc_id]}):
            raise DuplicateTransitGatewayAttachmentError(transit_gateway_id)
        owner = gateway.ec2_backend
        attachment = TransitGatewayVpcAttachment(self, transit_gateway=gateway, vpc_id=vpc_id,
                                                 subnet_ids=subnet_ids, tags=tags, options=options)
        attachment._emulator_transit_gateway_owner_id = owner.account_id
        attachment.transit_gateway_route_table = None
        self.transit_gateway_attachments[attachment.id] = attachment
        owner.transit_gateway_attachments[attachment.id] = attachment
        if gateway.options.get("AutoAcceptSharedAttachments") == "enable":
            apply_gateway_defaults(owner, attachment, gateway)
        else:
            attachment.state = "pendingAcceptance"
        return attachment

    def delete_transit_gateway_vpc_attachment(self, transit_gateway_attachment_id):
        # Both accounts hold the same attachment object: (h) keeps it, in
        # state "deleted", for both. The gateway owner's route tables forget it.
        attachment = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        owner_id = getattr(attachment, "_emulator_transit_gateway_owner_id", None)
        if owner_id is not None:
            owner = ec2_backends[owner_id][self.region_name]
            for table in owner.transit_gateways_route_tables.values():
                table.route_table_associations.pop(attachment.id, None)
                table.route_table_propagation = [p for p in table.route_table_propagation
                                                 if p.transitGatewayAttachmentId != attachment.id]
            owner.transit_gateway_associations.pop(attachment.id, None)
            owner.transit_gateway_propagations.pop(attachment.id, None)
        return delete(self, transit_gateway_attachment_id)

    def accept_transit_gateway_vpc_attachment(self):
        attachment_id = self._get_param("TransitGatewayAttachmentId")
        attachment = self.ec2_backend.transit_gateway_attachments.get(attachment_id)
        if attachment is None or attachment.state == "deleted":
            raise EC2ClientError("InvalidTransitGatewayAttachmentID.NotFound",
                                 f"Transit Gateway Attachment {attachment_id} not found")
        gateway = self.ec2_backend.transit_gateways.get(attachment.transit_gateway_id)
        if gateway is None or gateway.ec2_backend is not self.ec2_backend:
            raise EC2ClientError("InvalidParameterValue",
                                 f"Cannot accept {attachment_id}: only the owner of transit gateway "
                                 f"{attachment.transit_gateway_id} can accept its attachments.")
        if attachment.state != "pendingAcceptance":
            raise EC2ClientError("IncorrectState",
                                 f"{attachment_id} is in state {attachment.state}, not pendingAcceptance.")
        self.error_on_dryrun()
        attachment.state = "available"
        apply_gateway_defaults(self.ec2_backend, attachment, gateway)
        return ActionResult({"TransitGatewayVpcAttachment": attachment})

    create_transit_gateway_vpc_attachment._emulator_patched = True
    EC2Backend.create_transit_gateway_vpc_attachment = create_transit_gateway_vpc_attachment
    EC2Backend.delete_transit_gateway_vpc_attachment = delete_transit_gateway_vpc_attachment
    TransitGatewayAttachment.transit_gateway_owner_id = property(transit_gateway_owner_id)
    EC2Response.accept_transit_gateway_vpc_attachment = accept_transit_gateway_vpc_attachment


def patch_lambda_permission_principals():
    """(s) AddPermission checks and writes the principal as AWS does.

    AWS refuses a second statement with the same id (ResourceConflictException,
    HTTP 409) and a principal it cannot resolve: an IAM role or user ARN must
    name one that exists in its account (InvalidParameterValueException "The
    provided principal was invalid"), so the invoker role of another account
    has to exist before the permission. GetPolicy answers an account id as
    {"AWS": "arn:aws:iam::<id>:root"} and an IAM ARN as {"AWS": arn}. moto
    5.2.1 kept duplicate statements (RemovePermission then took one and left
    the other), took any principal, and answered role ARNs and account ids as
    plain strings."""
    from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
    from moto.awslambda.policy import Policy
    from moto.iam.models import iam_backends

    original_add = Policy.add_statement
    if getattr(original_add, "_emulator_patched", False):
        return
    original_format = Policy.principal_formatter

    class ResourceConflictException(LambdaClientError):
        code = 409

        def __init__(self, message):
            super().__init__("ResourceConflictException", message)

    iam_arn = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")

    def principal_exists(principal):
        match = iam_arn.match(principal)
        if not match:
            return True
        partition, account, kind, name = match.groups()
        per_account = dict.get(iam_backends, account)
        backend = dict.get(per_account, partition) if per_account is not None else None
        if backend is None:
            return False
        if kind == "role":
            return any(r.name == name for r in backend.roles.values())
        return name in backend.users

    def add_statement(self, raw, qualifier=None):
        request = json.loads(raw)
        sid = request.get("StatementId")
        if sid and any(st.get("Sid") == sid for st in self.statements):
            raise ResourceConflictException(
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement.")
        principal = request.get("Principal")
        if isinstance(principal, str) and not principal_exists(principal):
            raise InvalidParameterValueException("The provided principal was invalid. "
                                                 "Please check the principal and try again.")
        return original_add(self, raw, qualifier)

    def principal_formatter(self, obj):
        if isinstance(obj, str):
            if re.fullmatch(r"\d{12}", obj):
                return {"AWS": f"arn:aws:iam::{obj}:root"}
            if iam_arn.match(obj):
                return {"AWS": obj}
        return original_format(self, obj)

    add_statement._emulator_patched = True
    Policy.add_statement = add_statement
    Policy.principal_formatter = principal_formatter


def configure_lambda_without_docker():
    """(c) Lambda invokes are answered without Docker (none on this machine).

    Same effect as POSTing {"lambda": {"use_docker": false}} to
    /moto-api/config; set in-process so it holds from the first request."""
    from moto.core.config import default_user_config

    default_user_config["lambda"]["use_docker"] = False


def apply_patches():
    patch_route53_private_zone_from_vpc()
    patch_security_group_rule_owner()
    patch_security_group_rule_descriptions()
    patch_instance_groups_from_primary_interface()
    patch_internal_alb_dns_name()
    patch_network_interface_association()
    patch_transit_gateway_default_association()
    patch_transit_gateway_attachment_tags()
    patch_transit_gateway_attachment_deleted_state()
    patch_flow_log_s3_folder()
    patch_vpc_endpoint_reset_policy()
    patch_instance_connect_endpoints()
    patch_alb_access_logs_check()
    patch_account_scoped_ec2_tags()
    patch_route53_cross_account_association()
    patch_ram_cross_account_sharing()
    patch_transit_gateway_shared_attachments()
    patch_lambda_permission_principals()
    configure_lambda_without_docker()


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--port-file", help="write the chosen port to this file")
    args = parser.parse_args(argv)

    if not (args.host.startswith("127.") or args.host in ("localhost", "::1")):
        parser.error("the emulator binds loopback addresses only")

    apply_patches()
    port = args.port or free_port(args.host)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"moto (patched for the emulator) on http://{args.host}:{port}", file=sys.stderr, flush=True)

    from moto import server

    server.main(["--host", args.host, "--port", str(port)])


if __name__ == "__main__":
    main()
