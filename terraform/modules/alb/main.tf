locals {
  target_port = 8000

  bucket_name = coalesce(var.access_logs_bucket_name, "${var.name}-alb-logs-${var.account_id}-${var.region}")
  log_prefix  = "alb"

  # Regions opened before August 2022 deliver ALB access logs from a regional
  # Elastic Load Balancing account; newer regions use the log delivery service principal.
  elb_log_accounts = {
    "us-east-1"      = "127311923021"
    "us-east-2"      = "033677994240"
    "us-west-1"      = "027434742980"
    "us-west-2"      = "797873946194"
    "af-south-1"     = "098369216593"
    "ap-east-1"      = "754344448648"
    "ap-southeast-3" = "589379963580"
    "ap-south-1"     = "718504428378"
    "ap-northeast-3" = "383597477331"
    "ap-northeast-2" = "600734575887"
    "ap-southeast-1" = "114774131450"
    "ap-southeast-2" = "783225319266"
    "ap-northeast-1" = "582318560864"
    "ca-central-1"   = "985666609251"
    "eu-central-1"   = "054676820928"
    "eu-west-1"      = "156460612806"
    "eu-west-2"      = "652711504416"
    "eu-south-1"     = "635631232127"
    "eu-west-3"      = "009996457667"
    "eu-north-1"     = "897822967062"
    "me-south-1"     = "076674570225"
    "sa-east-1"      = "507241528517"
    "us-gov-west-1"  = "048591011584"
    "us-gov-east-1"  = "190560391635"
  }
  log_principal = contains(keys(local.elb_log_accounts), var.region) ? {
    AWS = "arn:${var.partition}:iam::${local.elb_log_accounts[var.region]}:root"
    } : {
    Service = "logdelivery.elasticloadbalancing.amazonaws.com"
  }

  # The listener's 401. `"error": "AuthorizationError"` makes the official Python client raise its
  # AuthorizationError (chromadb maps the body's error name to its exception classes) instead of
  # a bare Exception; tests/fixtures/nginx_proxy.py answers with the same bytes.
  unauthorized_body = jsonencode({ error = "AuthorizationError", message = "A valid token is required: send the header Authorization: Bearer TOKEN or X-Chroma-Token: TOKEN." })
}

# ---------------------------------------------------------------- access logs

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log bucket itself; logging it to another bucket would recurse.
  #checkov:skip=CKV_AWS_144:Access logs are regional diagnostics; cross-region replication of them is not needed for DR.
  #checkov:skip=CKV_AWS_145:ALB access logs support only SSE-S3 (AES256) destination buckets, not SSE-KMS.
  #checkov:skip=CKV2_AWS_62:No consumer for object events on the access-log bucket.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy_logs

  tags = var.tags
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_logs_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Expiring a current version of a versioned bucket leaves a delete marker; once its noncurrent version
  # has expired too, only this removes it. It needs a rule of its own: ExpiredObjectDeleteMarker "cannot
  # be specified with Days or Date" (botocore s3 model, LifecycleExpiration.ExpiredObjectDeleteMarker).
  rule {
    id     = "expire-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AlbLogDelivery"
        Effect    = "Allow"
        Principal = local.log_principal
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/${local.log_prefix}/AWSLogs/${var.account_id}/*"
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# ---------------------------------------------------------------- security group

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "ChromaDB ALB: HTTPS (and the HTTP redirect) from the allowed networks only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  count = length(var.allowed_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from an allowed network"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.allowed_cidrs[count.index]
}

resource "aws_vpc_security_group_ingress_rule" "http_redirect" {
  count = length(var.allowed_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from an allowed network (answered with a redirect to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = var.allowed_cidrs[count.index]
}

resource "aws_vpc_security_group_ingress_rule" "https_extra_cidrs" {
  count = length(var.extra_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  # EC2 allows only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* in rule descriptions (botocore ec2
  # model, IpRange.Description) and the provider does not check it at plan: no apostrophes here.
  description = "HTTPS from the NAT gateways (test step of the rotation function)"
  ip_protocol = "tcp"
  from_port   = 443
  to_port     = 443
  cidr_ipv4   = var.extra_ingress_cidrs[count.index]
}

resource "aws_vpc_security_group_ingress_rule" "https_security_groups" {
  count = length(var.ingress_security_group_ids)

  security_group_id            = aws_security_group.alb.id
  description                  = "HTTPS from an allowed security group (the rotation function)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.ingress_security_group_ids[count.index]
}

resource "aws_vpc_security_group_egress_rule" "to_targets" {
  security_group_id = aws_security_group.alb.id
  description       = "Chroma HTTP to the targets in this VPC"
  ip_protocol       = "tcp"
  from_port         = local.target_port
  to_port           = local.target_port
  cidr_ipv4         = var.vpc_cidr
}

# ---------------------------------------------------------------- load balancer

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:A WAF web ACL is optional by design (input waf_web_acl_arn); the listener rules already refuse every request without the token.
  #checkov:skip=CKV_AWS_150:Deletion protection is an input: on in staging and prod (asserted by tests/stack), off in dev so the sandbox can be destroyed.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = var.internal
  subnets                    = var.subnet_ids
  security_groups            = [aws_security_group.alb.id]
  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = aws_s3_bucket.logs.id
    prefix  = local.log_prefix
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf_web_acl_arn == null ? 0 : 1

  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:Chroma serves plain HTTP on 8000; TLS ends at the ALB and the hop stays in private subnets where only the ALB's security group may reach the task.
  name                 = "${var.name}-tg"
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = local.target_port
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = tostring(local.target_port)
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

# Everything without a valid token ends here: 401. The token rules (priority 10: Authorization:
# Bearer <token>, priority 20: X-Chroma-Token: <token>) are not Terraform's: the rotation function
# creates and edits them (terraform/stack/auth.tf), so no token value is ever in state or a plan.
# Until the first rotation only the heartbeat rule below forwards. "When you delete a listener, all
# its rules are deleted" (ELB, Delete a listener rule:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/delete-rule.html), so a
# destroy or a replaced listener leaves none behind.
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "application/json"
      status_code  = "401"
      message_body = local.unauthorized_body
    }
  }

  tags = var.tags

  # Destroyed before the target group: the function's rules forward to it, and a target group
  # a rule still uses cannot be deleted (ResourceInUse).
  depends_on = [aws_lb_target_group.this]
}

# Chroma's heartbeat needs no token (health probes, `chromactl status`). This rule also
# ties the target group to the load balancer, which ECS requires before the first token exists.
# The method is matched exactly: HEAD /api/v2/heartbeat gets the 401.
resource "aws_lb_listener_rule" "heartbeat" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 1

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  condition {
    path_pattern {
      values = [var.health_check_path]
    }
  }

  condition {
    http_request_method {
      values = ["GET"]
    }
  }

  tags = var.tags
}
