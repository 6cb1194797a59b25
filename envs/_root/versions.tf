terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Partial backend: chromactl passes bucket, key (<prefix>/<env>/<region>/terraform.tfstate)
  # and region with -backend-config, from chromactl.toml [state].
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
