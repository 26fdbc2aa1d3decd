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
import socket
import sys


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
