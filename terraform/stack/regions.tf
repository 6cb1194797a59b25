# The one list of AWS regions the HCL accepts (issue 15): the stack's region and failover_region
# validations read it (a validation may refer to a local since Terraform 1.9; versions.tf asks 1.10).
# The modules under terraform/modules trust the stack and check no region themselves; the env root
# passes its region straight here. cli/chromactl/regions.py (KNOWN_REGIONS, and _SHAPE, the pattern it
# uses only to word its hint) holds the same list: tests/stack/test_regions.py keeps the two equal.
# A new region: add it here and in regions.py (CHROMACTL_EXTRA_REGIONS lets the CLI pass one early).
locals {
  aws_regions = [
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
    "us-west-2", "us-gov-east-1", "us-gov-west-1",
  ]
}
