"""The full transition table, written out by hand from DESIGN §2.

Deliberately not computed from ``core.domain.states``: a table read from the
implementation could never disagree with it.  Every order in the table has
two items, ``i1`` and ``i2``; an outcome is the error kind, ``NOOP`` (a
transition to the current state: succeeds, changes and emits nothing), or
the order state and the two item states afterwards.

Where DESIGN is silent the table records the core's documented choice
(``docs/state-model.md``), marked "silent" below.
"""

from __future__ import annotations

ACK, IP, PEN, HLD = "acknowledged", "inProgress", "pending", "held"
ASC, PNC = "assessingCancellation", "pendingCancellation"
CMP, PRT, FLD, REJ, CNL = "completed", "partial", "failed", "rejected", "cancelled"
STATES = (ACK, IP, PEN, HLD, ASC, PNC, CMP, PRT, FLD, REJ, CNL)
ITEM_STATES = tuple(s for s in STATES if s != PRT)
CLOSED = (CMP, PRT, FLD, REJ, CNL)

ILLEGAL, DENIED, NOOP, REMOVED = "illegalState", "permissionDenied", "noop", "removed"
Outcome = str | tuple[str, str, str]

# How each state is reached from a fresh two-item order.  A step is
# (caller, operation) for a named operation, or ("item", item id, target).
START = ("alice", "start")
REACH: dict[str, tuple[tuple[str, ...], ...]] = {
    ACK: (),
    IP: (START,),
    PEN: (START, ("noc", "requestInformation")),
    HLD: (START, ("alice", "suspend")),
    ASC: (START, ("alice", "cancel")),
    PNC: (START, ("alice", "cancel"), ("noc", "acceptCancellation")),
    CMP: (START, ("item", "i1", CMP), ("item", "i2", CMP)),
    PRT: (START, ("item", "i1", CMP), ("item", "i2", FLD)),
    FLD: (START, ("item", "i1", FLD), ("item", "i2", FLD)),
    REJ: (("noc", "reject"),),
    CNL: (("alice", "cancel"),),
}

CLIENT_OPS = ("start", "suspend", "resume", "cancel")
FULFILLER_OPS = (
    "reject",
    "hold",
    "release",
    "requestInformation",
    "informationReceived",
    "abandon",
    "acceptCancellation",
    "denyCancellation",
)


def _only(**legal: Outcome) -> dict[str, Outcome]:
    """Every named operation illegal except the ones given."""
    return {op: legal.get(op, ILLEGAL) for op in CLIENT_OPS + FULFILLER_OPS}


# Named operations: client ones by their owner, fulfiller ones by a fulfiller.
NAMED: dict[str, dict[str, Outcome]] = {
    ACK: _only(start=(IP, IP, IP), cancel=(CNL, CNL, CNL), reject=(REJ, REJ, REJ)),
    IP: _only(
        start=NOOP,
        resume=NOOP,
        release=NOOP,
        informationReceived=NOOP,
        suspend=(HLD, HLD, HLD),
        hold=(HLD, HLD, HLD),
        cancel=(ASC, IP, IP),
        requestInformation=(PEN, IP, IP),  # the order waits; its items keep their state
    ),
    PEN: _only(
        requestInformation=NOOP,
        informationReceived=(IP, IP, IP),
        cancel=(ASC, IP, IP),
        abandon=(CNL, CNL, CNL),
    ),
    HLD: _only(
        suspend=NOOP,
        hold=NOOP,
        resume=(IP, IP, IP),
        release=(IP, IP, IP),
        cancel=(ASC, HLD, HLD),
        abandon=(CNL, CNL, CNL),
    ),
    ASC: _only(cancel=NOOP, acceptCancellation=(PNC, PNC, PNC), denyCancellation=(IP, IP, IP)),
    PNC: _only(acceptCancellation=NOOP),
    CMP: _only(),
    PRT: _only(),
    FLD: _only(),
    REJ: _only(reject=NOOP),
    CNL: _only(cancel=NOOP, abandon=NOOP),
}

# changeOrderState by target state, per caller.  Unlisted targets: illegalState.
TO_STATE: dict[str, dict[str, dict[str, Outcome]]] = {
    ACK: {
        "alice": {ACK: NOOP, IP: (IP, IP, IP), CNL: (CNL, CNL, CNL)},
        "noc": {ACK: NOOP, REJ: (REJ, REJ, REJ)},
    },
    IP: {
        "alice": {IP: NOOP, HLD: (HLD, HLD, HLD), ASC: (ASC, IP, IP)},
        "noc": {IP: NOOP, HLD: (HLD, HLD, HLD), PEN: (PEN, IP, IP)},
    },
    PEN: {
        "alice": {PEN: NOOP, ASC: (ASC, IP, IP)},
        "noc": {PEN: NOOP, IP: (IP, IP, IP), CNL: (CNL, CNL, CNL)},
    },
    HLD: {
        "alice": {HLD: NOOP, IP: (IP, IP, IP), ASC: (ASC, HLD, HLD)},
        "noc": {HLD: NOOP, IP: (IP, IP, IP), CNL: (CNL, CNL, CNL)},
    },
    # denial returns to the state before the assessment: inProgress here
    ASC: {"alice": {ASC: NOOP}, "noc": {ASC: NOOP, PNC: (PNC, PNC, PNC), IP: (IP, IP, IP)}},
    PNC: {"alice": {PNC: NOOP}, "noc": {PNC: NOOP}},
    **{s: {"alice": {s: NOOP}, "noc": {s: NOOP}} for s in CLOSED},
}

# changeOrderItemState of item i1 by a fulfiller.  Unlisted targets:
# illegalState.  Silent: items move only while the order is inProgress
# (work) or pendingCancellation (roll-back); held/pending orders are paused.
ITEM_MOVES: dict[str, dict[str, Outcome]] = {
    ACK: {ACK: NOOP},
    IP: {
        IP: NOOP,
        CMP: (IP, CMP, IP),
        FLD: (IP, FLD, IP),
        HLD: (IP, HLD, IP),
        PEN: (IP, PEN, IP),
        CNL: (IP, CNL, IP),
    },
    PEN: {IP: NOOP},
    HLD: {HLD: NOOP},
    ASC: {IP: NOOP},
    PNC: {PNC: NOOP, CNL: (PNC, CNL, PNC)},
    CMP: {CMP: NOOP},
    PRT: {CMP: NOOP},
    FLD: {FLD: NOOP},
    REJ: {REJ: NOOP},
    CNL: {CNL: NOOP},
}

# Remove: only closed orders and orders never started.
REMOVE: dict[str, Outcome] = {s: REMOVED if s in (ACK, *CLOSED) else ILLEGAL for s in STATES}

# setOrderByValue: content (here: priority) while acknowledged, pending or
# held; annotations (here: description) while open; nothing once closed.
MODIFY_CONTENT: dict[str, Outcome] = {s: "changed" if s in (ACK, PEN, HLD) else ILLEGAL for s in STATES}
MODIFY_ANNOTATION: dict[str, Outcome] = {s: ILLEGAL if s in CLOSED else "changed" for s in STATES}

# The wrong role, in every state: a fulfiller making a client's move or
# removing its order, a client making a fulfiller's move.
WRONG_ROLE: dict[tuple[str, str], Outcome] = {
    **{("noc", op): DENIED for op in CLIENT_OPS},
    **{("alice", op): DENIED for op in FULFILLER_OPS},
    ("alice", "itemMove"): DENIED,
    ("noc", "remove"): DENIED,
}
