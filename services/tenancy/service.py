"""The tenancy service's nameko entrypoints: thin, over the domain code beside them."""

from chassis.service import ServiceBase


class TenancyService(ServiceBase):
    name = "tenancy"
