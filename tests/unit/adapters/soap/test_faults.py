"""The fault table: every core error kind has a fault code, and its detail validates."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from adapters.soap.envelope import SOAP11_ENV, fault_bytes
from adapters.soap.faults import CLIENT, FAULT_CODES, SERVER, operation_fault, order_fault
from adapters.xml import NS
from adapters.xml.schema import XSD_PATH
from core.domain.errors import ERROR_KINDS, IllegalAttributeValue, Unavailable, UnsupportedOperation

INDEPENDENT = xmlschema.XMLSchema(str(XSD_PATH))


def test_every_core_error_kind_has_a_fault_code():
    assert {e.kind for e in ERROR_KINDS} <= set(FAULT_CODES)
    assert {k for k, code in FAULT_CODES.items() if code == SERVER} == {"remote", "unexpected"}
    assert FAULT_CODES["unauthenticated"] == CLIENT


@pytest.mark.parametrize(
    "error", [cls("x") if cls is not IllegalAttributeValue else cls("a", "x") for cls in ERROR_KINDS]
)
def test_each_kind_renders_a_fault_whose_detail_is_the_operation_exception(error):
    fault = order_fault("startOrderByKey", error)
    envelope = etree.fromstring(fault_bytes(fault))
    element = envelope.find(f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault")
    assert element.findtext("faultcode") == f"soap:{FAULT_CODES[error.kind]}"
    assert element.findtext("faultstring") == error.message
    (exception,) = element.find("detail")
    assert etree.QName(exception).text == f"{{{NS}}}startOrderByKeyException"
    INDEPENDENT.validate(etree.tostring(exception))
    assert exception[0].findtext(f"{{{NS}}}code") == error.kind


def test_unsupported_operation_and_unavailable_keep_their_own_elements():
    unsupported = order_fault("getOrderTypes", UnsupportedOperation("not offered"))
    assert etree.QName(unsupported.detail[0]).localname == "unsupportedOperationException"
    remote = order_fault("getOrderTypes", Unavailable("database down"))
    assert (remote.code, etree.QName(remote.detail[0]).localname) == (SERVER, "remoteException")


def test_errors_outside_the_core_taxonomy_are_server_faults_without_a_trace():
    fault = operation_fault("getOrderTypes", "unexpected", "the gateway failed")
    assert fault.code == SERVER
    assert etree.QName(fault.detail[0]).localname == "remoteException"
