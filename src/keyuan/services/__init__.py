"""Use cases: one function each, `with deps.uow() as uow: ... uow.commit()`."""
