"""The canonical order document: the one dict form of an order every profile maps to and from.

Adapters translate their own wire form (TMF JSON, XML) to and from this
document, and the core validates it here, once, so every profile rejects the
same input with the same error.  The persistence adapter stores the same
document.  Keys are the DESIGN's canonical camelCase names; dates are ISO 8601
strings; priority is its canonical name (``high``); states are canonical (TMF)
names.
"""
