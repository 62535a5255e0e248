"""The background watch: catches connection cuts that come and go, with the laptop's state at that moment.

A check that runs for a few minutes misses failures that happen "sometimes" (only in the office, after the
laptop wakes, while the VPN is up). The watch keeps a few silent connections open at low cost for hours or
days, records every cut (time, ending, state) in a small SQLite database, and the analysis turns the record
into correlations with counts. Core only: no Qt here; the GUI's tray and timeline read the same database.
"""
