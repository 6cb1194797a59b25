locals {
  az_count  = length(var.azs)
  nat_count = var.single_nat_gateway ? 1 : local.az_count

  # /16 -> /20 subnets: public in blocks 0..2, private in blocks 8..10.
  public_cidrs  = [for i in range(local.az_count) : cidrsubnet(var.cidr, 4, i)]
  private_cidrs = [for i in range(local.az_count) : cidrsubnet(var.cidr, 4, i + 8)]

  interface_endpoints = var.enable_vpc_endpoints ? toset(var.interface_endpoints) : toset([])

  # Interface endpoint services are not offered in every AZ (and AZ names map to different physical zones
  # in each account), so where each is offered is looked up in the account (DescribeVpcEndpointServices,
  # ServiceDetail.AvailabilityZones) unless endpoint_service_azs states it. An offered service is never
  # answered with an empty zone list (the data source fails when the service does not exist in the region),
  # so an empty answer means "not looked up" (as with the offline test provider) and every AZ is used.
  offered_azs = {
    for s in local.interface_endpoints : s => (
      contains(keys(var.endpoint_service_azs), s) ? var.endpoint_service_azs[s] :
      length(try(data.aws_vpc_endpoint_service.interface[s].availability_zones, [])) > 0 ? tolist(data.aws_vpc_endpoint_service.interface[s].availability_zones) :
      var.azs
    )
  }
  endpoint_azs = { for s, offered in local.offered_azs : s => [for az in var.azs : az if contains(offered, az)] }
}

data "aws_vpc_endpoint_service" "interface" {
  for_each = var.lookup_endpoint_service_azs ? setsubtract(local.interface_endpoints, keys(var.endpoint_service_azs)) : toset([])

  service_name = "com.amazonaws.${var.region}.${each.key}"
  service_type = "Interface"
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# The default security group keeps no rules: nothing may use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

# Public subnets hold the ALB and the NAT gateways only; nothing gets a public IP on launch.
resource "aws_subnet" "public" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.public_cidrs[count.index]
  availability_zone       = var.azs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${var.azs[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.private_cidrs[count.index]
  availability_zone       = var.azs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-private-${var.azs[count.index]}", Tier = "private" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = local.az_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${var.azs[count.index]}" })
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name}-nat-${var.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

# One private route table per AZ, each to its own NAT (or the shared one).
resource "aws_route_table" "private" {
  count = local.az_count

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${var.azs[count.index]}" })
}

resource "aws_route" "private_nat" {
  count = local.az_count

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = local.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = var.flow_logs_traffic_type
  log_destination_type     = "cloud-watch-logs"
  log_destination          = var.flow_logs_log_group_arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = var.flow_logs_max_aggregation_interval

  tags = merge(var.tags, { Name = "${var.name}-flow-logs" })

  # Flow Logs delivers with the role from the moment the flow log exists.
  depends_on = [aws_iam_role_policy.flow_logs]
}

resource "aws_security_group" "endpoints" {
  count = var.enable_vpc_endpoints ? 1 : 0

  name        = "${var.name}-vpc-endpoints"
  description = "Interface VPC endpoints: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-vpc-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = var.enable_vpc_endpoints ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS to the interface endpoints from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.cidr
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  # Only the private subnets of zones where the service is offered: CreateVpcEndpoint fails for a subnet
  # in any other zone. Clients in the other zones reach the endpoint's network interfaces across zones.
  subnet_ids         = [for i, az in var.azs : aws_subnet.private[i].id if contains(local.endpoint_azs[each.key], az)]
  security_group_ids = [aws_security_group.endpoints[0].id]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  lifecycle {
    precondition {
      condition     = length(local.endpoint_azs[each.key]) > 0
      error_message = "The ${each.key} interface endpoint service is offered in none of ${join(", ", var.azs)} in this account: choose other zones in azs_by_region, or turn the endpoints off (enable_vpc_endpoints = false: traffic goes through NAT)."
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  count = var.enable_vpc_endpoints ? 1 : 0

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}
