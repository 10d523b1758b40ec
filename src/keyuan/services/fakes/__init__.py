"""The store in memory, for unit tests of services: `store.Tables` holds the rows, and one small
class per repository port (`checkin`, `compliance`, `accounts`, `capture`, mirroring
`adapters/store/repositories/`) reads and writes them. `uow.FakeUnitOfWork` hands each unit of
work its own deep copy of the committed tables, so an uncommitted write or change is dropped.
No service imports this package; only tests do.

Two kinds of repository, as in the real store:
- check-in entities and audit events are mapped by the ORM: inside one unit of work a row is one
  object, and a change to an object read there is written at commit (the identity map);
- everything else is read with Core queries onto plain dataclasses: each read hands out a copy
  (or a frozen record), and only the repository's update methods change a row.
"""
