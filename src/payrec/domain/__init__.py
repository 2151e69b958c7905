"""Pure domain rules: money, dunning policies and schedules, state machines, templates.

No I/O, no database, no HTTP; every clock reading is passed in.
"""
