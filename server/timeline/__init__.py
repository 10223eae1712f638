"""The console's order timeline: what every domain knows about one order, on one page. It reads
the orders, their stock movements, the parcel, COD's attempts, proofs and cash, and exceptions
through each owning domain's read function, so it stands above them all."""
