output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets span, in subnet order."
  value       = var.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (ALB and NAT gateways), one per AZ."
  value       = aws_subnet.public[*].id

  # An internet-facing ALB created before the internet gateway is attached is refused
  # ("InvalidSubnet: VPC ... has no internet gateway").
  depends_on = [aws_route.public_internet, aws_route_table_association.public]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (tasks, EFS mount targets, the rotation function), one per AZ."
  value       = aws_subnet.private[*].id

  # The first task pulls its image from the internet through NAT: its route must exist first.
  depends_on = [aws_route.private_nat, aws_route_table_association.private]
}

output "private_route_table_ids" {
  description = "IDs of the private route tables, one per AZ."
  value       = aws_route_table.private[*].id
}

output "nat_public_ips" {
  description = "Elastic IPs of the NAT gateways: the source addresses of egress from the private subnets."
  value       = aws_eip.nat[*].public_ip
}

output "endpoint_security_group_id" {
  description = "ID of the interface endpoints' security group (null when endpoints are off)."
  value       = try(aws_security_group.endpoints[0].id, null)
}

output "interface_endpoint_ids" {
  description = "Map of interface endpoint service short name to endpoint ID."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

output "flow_log_id" {
  description = "ID of the VPC flow log."
  value       = aws_flow_log.this.id
}

output "interface_endpoint_azs" {
  description = "Map of interface endpoint service short name to the AZs its endpoint has network interfaces in."
  value       = local.endpoint_azs
}

output "flow_logs_role_arn" {
  description = "ARN of the VPC Flow Logs role."
  value       = aws_iam_role.flow_logs.arn

  # Flow Logs delivers with this role from the moment the flow log exists.
  depends_on = [aws_iam_role_policy.flow_logs]
}
