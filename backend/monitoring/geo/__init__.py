"""Pure geometry for zone monitoring (电子围栏): shapes and their validation, a local metric projection,
vectorised inside/outside classification of fixes and the weekly schedules that say when a zone applies.

No Django and no I/O here: WGS-84 latitude/longitude in degrees in, metres and numpy arrays out.
"""
