"""The official TM Forum OpenAPI files (Apache-2.0, see LICENSE) the REST profile implements."""
