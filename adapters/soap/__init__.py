"""SOAP/WSDL profile: document/literal SOAP 1.1 over the shared XML vocabulary.

``setup_soap`` serves ``/soap/OrderManagement`` (POST envelopes, GET
``?wsdl``) on the gateway's aiohttp app.  Every operation is one
``<op>Request`` of ``adapters.xml``, executed by ``XmlOrderOperations``;
core errors become SOAP Faults whose detail is the ``<op>Exception``
element.  See docs/soap.md.
"""

from adapters.soap.endpoint import PATH, SoapEndpoint, setup_soap

__all__ = ["PATH", "SoapEndpoint", "setup_soap"]
