"""Offline Terraform verification: the hashicorp/aws schema rebuilt from PyPI and a test-only provider."""
