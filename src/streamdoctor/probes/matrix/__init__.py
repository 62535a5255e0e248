"""The experiment matrix's probes: the connecting tests run per variant (address family, request size) plus
what the API's edge says about itself. Each probe measures one variable on both of its sides; the table that
lines the variants up (with the existing ClientHello, HTTP version and proxy A/Bs) is streamdoctor.matrix."""

from .clients import ClientsProbe
from .edge import EdgeProbe
from .family import AddressFamilyProbe
from .upload import RequestSizeProbe

__all__ = ["AddressFamilyProbe", "ClientsProbe", "EdgeProbe", "RequestSizeProbe"]
