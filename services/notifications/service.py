"""The notifications service's nameko entrypoints: thin, over the domain code beside them."""

from chassis.service import ServiceBase


class NotificationsService(ServiceBase):
    name = "notifications"
