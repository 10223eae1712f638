"""The server side of the sync protocol (sync/PROTOCOL.md): the /sync/v1 endpoints over the database.

controllers  the endpoints: bytes in (JSON or MessagePack, gzip, limits), Problem Details out
service      one per process: pushes through the group committer, pulls in a read snapshot,
             the server's hybrid logical clock, the projector loop
committer    group commit: every request queued meanwhile goes into the next transaction
push         admission (sync.admit), judging (sync.judge) and effects, for a batch, in one
             transaction with the high-water marks and the change log; per-op savepoints when a
             batch fails, so a poison op is quarantined and the ops behind it go through
world        sync.WorldView over the database, with the batch's own effects on top
effects      effects -> ledger rows (stock via server.inventory.ledger, cash, deliveries, proofs,
             counts, exceptions, order statuses through the state machine)
journal      what admission needs to know about the op journal
changelog    positions taken under the head row's lock at commit (never skips a change on
             PostgreSQL), compaction, scope checksums, epochs, tombstone purge
pull         pages, end marker, checksums, resets
scopes       who sees what, and the shape of each entity
projector    brings changes made outside sync (orders, catalog, console stock) into the log
runs         delivery runs: what a rider's phone syncs
blobs        content-addressed photos and signatures; chasing the ones that never arrive
verify       what `bodega verify` checks for sync
client       sync.Client's transport over HTTP; simulator: phones doing realistic work

Durability: an answer is sent only after the transaction holding the ops committed; a failed commit
is a 503 and the phone retries (and gets `duplicate`s if it did commit). On SQLite the push and
projector transactions run in the writer process when BODEGA_WRITER_PROCESS=1.
"""
