from core.domain.model import Caller, Kind
from core.usecases import OrderManagement

VALUE = {"items": [{"id": "1", "action": "add", "entity": {"specification": {"id": "fibre"}}}]}


async def test_created_order_reads_back_the_same(sql_store):
    om = OrderManagement(sql_store)
    created = await om.create_order(Caller("acme"), Kind.PRODUCT, VALUE)
    read = await om.get_order(Caller("acme"), Kind.PRODUCT, created.id)
    assert read.state.value == "acknowledged"
    assert read.items[0].entity.specification.id == "fibre"
