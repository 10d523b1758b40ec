"""Repositories, one module per area: the only place queries are written. Each works inside one
unit of work (`adapters.store.uow.SqlUnitOfWork`)."""
